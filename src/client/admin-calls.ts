// Status of the cluster or of one endpoint, backup and restore streams, and a member's
// encryption key rotation.
import { createHash } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import type { BackupChunk, RestoreChunk } from '../generated/beavervault/v1/kv.js';
import { callUnary, type CallRunner } from './call-runner.js';
import { BeaverVaultError } from './client-errors.js';
import type { CallOptions, ResolvedOptions } from './client-options.js';
import { Deadline } from './deadline.js';
import type { EndpointPool } from './endpoint-pool.js';
import type { GrpcChannels } from './grpc-channels.js';
import { type ClusterStatus, statusOf } from './results.js';

/** A rotation re-encrypts a member's whole database, so it is not bounded by the request timeout. */
const ROTATION_TIMEOUT_MS_DEFAULT = 60 * 60 * 1000;

export interface KeyRotation {
  readonly keyId: string;
  readonly valuesResealed: number;
  readonly durationMs: number;
}

export class AdminCalls {
  constructor(
    private readonly options: ResolvedOptions,
    private readonly pool: EndpointPool,
    private readonly channels: GrpcChannels,
    private readonly runner: CallRunner,
  ) {}

  /** The status of whichever endpoint answers first in the client's order. */
  async status(options: CallOptions = {}): Promise<ClusterStatus> {
    const response = await this.runner.run({ kind: 'read', idempotent: true, timeoutMs: options.timeoutMs }, (client, deadline) => callUnary(client.status.bind(client), {}, deadline));
    return statusOf(response);
  }

  /** The status of one endpoint, asked once with no failover: how `endpoint status/health` sees each member. */
  async statusOf(endpoint: string, options: CallOptions = {}): Promise<ClusterStatus> {
    const deadline = new Deadline(options.timeoutMs ?? this.options.requestTimeoutMs);
    try {
      const client = await this.channels.ready(endpoint, Math.min(this.options.dialTimeoutMs, deadline.remainingMs()));
      const response = await callUnary(client.status.bind(client), {}, deadline);
      this.runner.noteAnswer(endpoint, response.header);
      return statusOf(response);
    } catch (thrown) {
      throw this.runner.errorOf(thrown, endpoint, true, deadline);
    }
  }

  /**
   * Makes the member at `endpoint` re-read its encryption key file and re-encrypt its data under
   * the newest key; resolves once no file of it needs an older key. Asked once, no failover: the
   * rotation is that member's own. Waits up to an hour unless `options.timeoutMs` says otherwise.
   */
  async rotateEncryptionKeyOf(endpoint: string, options: CallOptions = {}): Promise<KeyRotation> {
    const deadline = new Deadline(options.timeoutMs ?? ROTATION_TIMEOUT_MS_DEFAULT);
    try {
      const client = await this.channels.ready(endpoint, Math.min(this.options.dialTimeoutMs, deadline.remainingMs()));
      const response = await callUnary(client.rotateEncryptionKey.bind(client), {}, deadline);
      this.runner.noteAnswer(endpoint, response.header);
      return { keyId: response.keyId, valuesResealed: Number(response.valuesResealed), durationMs: Number(response.durationMs) };
    } catch (thrown) {
      throw this.runner.errorOf(thrown, endpoint, false, deadline);
    }
  }

  /**
   * A consistent snapshot of the whole store, chunk by chunk, from one endpoint; the stream
   * fails (CLIENT_BACKUP_CORRUPT) if the total size or SHA-256 the server sent last disagree.
   */
  async *backup(options: CallOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    const endpoint = this.pool.pick('read');
    const deadline = new Deadline(options.timeoutMs ?? this.options.requestTimeoutMs);
    const hash = createHash('sha256');
    let totalBytes = 0;
    let trailer: BackupChunk | undefined;
    try {
      const client = await this.channels.ready(endpoint, Math.min(this.options.dialTimeoutMs, deadline.remainingMs()));
      for await (const chunk of client.backup({}, { deadline: deadline.asDate() }) as AsyncIterable<BackupChunk>) {
        hash.update(chunk.data);
        totalBytes += chunk.data.length;
        if (chunk.sha256.length > 0) trailer = chunk;
        if (chunk.data.length > 0) yield chunk.data;
      }
    } catch (thrown) {
      throw this.runner.errorOf(thrown, endpoint, true, deadline);
    }
    const digest = hash.digest();
    if (trailer === undefined || Number(trailer.totalBytes) !== totalBytes || !digest.equals(Buffer.from(trailer.sha256))) {
      throw new BeaverVaultError({ code: 'CLIENT_BACKUP_CORRUPT', message: `the backup from ${endpoint} is incomplete or corrupt (${totalBytes} bytes received)`, retryable: true, mayHaveCommitted: false, endpoint });
    }
  }

  /**
   * Replaces the whole cluster's state with a backup, through Raft. Sent once, to the leader
   * when known; resolves to the bytes the cluster restored.
   */
  async restore(chunks: AsyncIterable<Uint8Array>, options: CallOptions = {}): Promise<number> {
    const endpoint = this.pool.pick('write');
    const deadline = new Deadline(options.timeoutMs ?? this.options.requestTimeoutMs);
    try {
      const client = await this.channels.ready(endpoint, Math.min(this.options.dialTimeoutMs, deadline.remainingMs()));
      const hash = createHash('sha256');
      const restoredBytes = await new Promise<bigint>((resolve, reject) => {
        const stream = client.restore(new Metadata(), { deadline: deadline.asDate() }, (error, response) => (error ? reject(error) : resolve(response.restoredBytes)));
        void (async () => {
          for await (const data of chunks) {
            hash.update(data);
            const chunk: RestoreChunk = { data, sha256: new Uint8Array(0) };
            if (stream.destroyed) return;
            // A call that failed early closes the stream instead of draining it.
            if (!stream.write(chunk)) await new Promise((drained) => stream.once('drain', drained).once('close', drained));
          }
          stream.end({ data: new Uint8Array(0), sha256: hash.digest() });
        })().catch((error: unknown) => {
          stream.cancel();
          reject(error);
        });
      });
      return Number(restoredBytes);
    } catch (thrown) {
      throw this.runner.errorOf(thrown, endpoint, false, deadline);
    }
  }
}
