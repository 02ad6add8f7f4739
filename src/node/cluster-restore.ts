// A cluster-wide restore (KvNode.restore). Every member must end with the same state, so the
// backup goes through Raft: the receiving node first writes the whole stream to a file under
// raft/snapshots/ while verifying its format and checksum (a corrupt or truncated backup is
// refused before anything is proposed), then proposes restore-begin, the backup in chunks of
// at most RESTORE_CHUNK_BYTES_MAX, and restore-commit, which every member applies by
// switching to the staged backup (src/mvcc/restore-staging.ts). It resolves once the commit
// is applied on this node. A restore abandoned half-way is cleared by the next one's begin.
// With encryption at rest the file is a sealed stream, like every other file of the member.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { RESTORE_CHUNK_BYTES_MAX, SnapshotReader } from '../mvcc/index.js';
import type { MvccResponse, RestoreRequest } from '../mvcc/index.js';
import type { RecordCipher } from '../encryption/record-cipher.js';
import { openStream, sealStream } from '../encryption/sealed-stream.js';
import type { FileSystem } from '../storage/index.js';
import type { DataDirLayout } from './data-dir.js';
import { NodeError } from './errors.js';
import { readFileChunks } from './received-snapshots.js';

export interface ClusterRestoreParts {
  readonly layout: DataDirLayout;
  /** Proposes one step through Raft; resolves when this node applied it, rejects with its error. */
  readonly propose: (request: RestoreRequest, timeoutMs: number) => Promise<MvccResponse>;
  readonly requestTimeoutMs: number;
  readonly fileSystem: FileSystem;
  /** An integer in [minimum, maximum), unpredictable across restarts. */
  readonly randomInt: (minimum: number, maximum: number) => number;
  /** Seals the received backup while it waits on disk. */
  readonly cipher: RecordCipher;
}

/** Chunk proposals awaited at once: enough to hide a round trip, few enough to bound memory. */
const CHUNKS_IN_FLIGHT_MAX = 4;
/** The commit rewrites the whole state on every member: this much time per MiB beyond the request timeout. */
const COMMIT_MS_PER_MEBIBYTE = 200;
const MEBIBYTE = 1024 * 1024;
/** Restore ids are random, so a restarted proposer never reuses the id of a restore still staged. */
const RESTORE_ID_MAX = 2 ** 47;
const RECEIVED_BACKUP = /^restore-\d+\.backup$/;

interface ReceivedBackup {
  readonly totalBytes: number;
  readonly checksum: Buffer;
}

export class ClusterRestore {
  // Invariant: true while a restore of this node runs; a second one is refused, not queued.
  private running = false;

  constructor(private readonly parts: ClusterRestoreParts) {}

  /** Removes backups left by a restore that a crash interrupted. */
  async removeLeftovers(): Promise<void> {
    const { fileSystem, layout } = this.parts;
    const names = await fileSystem.readdir(layout.snapshots).catch(() => []);
    for (const name of names) if (RECEIVED_BACKUP.test(name)) await fileSystem.rm(join(layout.snapshots, name), { force: true });
  }

  async restore(stream: AsyncIterable<Uint8Array>): Promise<void> {
    if (this.running) throw new NodeError('NODE_BUSY', { reason: 'another restore is in progress on this node' });
    this.running = true;
    const id = this.parts.randomInt(1, RESTORE_ID_MAX);
    const path = join(this.parts.layout.snapshots, `restore-${id}.backup`);
    try {
      const { totalBytes, checksum } = await receiveBackup(this.parts, stream, path);
      const { propose, requestTimeoutMs } = this.parts;
      await propose({ type: 'restoreBegin', restoreBegin: { id, totalBytes, checksum } }, requestTimeoutMs);
      await this.proposeChunks(id, path);
      const commitTimeoutMs = requestTimeoutMs + Math.ceil(totalBytes / MEBIBYTE) * COMMIT_MS_PER_MEBIBYTE;
      await propose({ type: 'restoreCommit', restoreCommit: { id } }, commitTimeoutMs);
    } finally {
      this.running = false;
      await this.parts.fileSystem.rm(path, { force: true });
    }
  }

  private async proposeChunks(id: number, path: string): Promise<void> {
    const { fileSystem, cipher } = this.parts;
    const chunks = restoreChunks(openStream(readFileChunks(fileSystem, path), cipher, `the received backup ${path}`))[Symbol.asyncIterator]();
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    try {
      for (let sequence = 0; failure === undefined; sequence++) {
        const next = await chunks.next();
        if (next.done === true) break;
        const request: RestoreRequest = { type: 'restoreChunk', restoreChunk: { id, sequence, bytes: next.value } };
        const proposal: Promise<void> = this.parts
          .propose(request, this.parts.requestTimeoutMs)
          .then(
            () => undefined,
            (error: unknown) => {
              failure ??= error;
            },
          )
          .finally(() => inFlight.delete(proposal));
        inFlight.add(proposal);
        if (inFlight.size >= CHUNKS_IN_FLIGHT_MAX) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    } finally {
      await chunks.return?.();
    }
    if (failure !== undefined) throw failure;
  }
}

/** The backup in chunks of exactly RESTORE_CHUNK_BYTES_MAX bytes, the last one shorter. */
async function* restoreChunks(stream: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const bytes of stream) {
    pending = pending.byteLength === 0 ? Buffer.from(bytes) : Buffer.concat([pending, bytes]);
    while (pending.byteLength >= RESTORE_CHUNK_BYTES_MAX) {
      yield pending.subarray(0, RESTORE_CHUNK_BYTES_MAX);
      pending = pending.subarray(RESTORE_CHUNK_BYTES_MAX);
    }
  }
  if (pending.byteLength > 0) yield pending;
}

/**
 * Writes the stream to `path` (sealed when encryption is on), verifying the backup format's
 * own trailer; returns the size and SHA-256 of the backup itself.
 */
async function receiveBackup({ fileSystem, cipher }: ClusterRestoreParts, stream: AsyncIterable<Uint8Array>, path: string): Promise<ReceivedBackup> {
  await fileSystem.mkdir(join(path, '..'), { recursive: true });
  const file = await fileSystem.open(path, 'w');
  const hash = createHash('sha256');
  let totalBytes = 0;
  async function* verified(): AsyncIterable<Uint8Array> {
    const verifier = new SnapshotReader();
    for await (const chunk of stream) {
      verifier.push(chunk);
      hash.update(chunk);
      totalBytes += chunk.byteLength;
      yield chunk;
    }
    verifier.finish();
  }
  try {
    for await (const bytes of sealStream(verified(), cipher)) await file.write(bytes, 0, bytes.byteLength, null);
  } finally {
    await file.close();
  }
  return { totalBytes, checksum: hash.digest() };
}
