// A granted lease with automatic keep-alive: renewed every third of its TTL over a
// LeaseKeepAlive stream, which moves to another endpoint when its own breaks. The lease is
// reported lost when the server says it is gone, or when no renewal succeeded for a whole
// TTL (the server has then expired it, or will before the client could know otherwise).
import { EventEmitter } from 'node:events';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { LeaseKeepAliveRequest, LeaseKeepAliveResponse } from '../generated/beavervault/v1/cluster.js';
import { BeaverVaultError } from './client-errors.js';
import type { CallRunner } from './call-runner.js';
import type { EndpointPool } from './endpoint-pool.js';
import type { GrpcChannels } from './grpc-channels.js';

/** Renewals per TTL: two may fail before the lease is at risk. */
const RENEWALS_PER_TTL = 3;

export interface LeaseEvents {
  /** A renewal succeeded; the lease lives `ttlSeconds` from now. */
  keepAlive: [ttlSeconds: number];
  /** The lease is gone or could not be renewed in time; keys attached to it are (being) deleted. */
  lost: [error: BeaverVaultError];
}

export interface LeaseHandleCalls {
  readonly runner: CallRunner;
  readonly pool: EndpointPool;
  readonly channels: GrpcChannels;
  readonly dialTimeoutMs: number;
  revoke(id: bigint): Promise<void>;
  /** Told when a handle stops renewing, so the client stops tracking it. */
  released(lease: Lease): void;
}

export class Lease extends EventEmitter<LeaseEvents> {
  private timer: NodeJS.Timeout | undefined;
  private stream: ClientDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse> | undefined;
  private streamEndpoint = '';
  /** Invariant: the lease was alive on the server at this time (client clock). */
  private lastRenewedAtMs = Date.now();
  private stopped = false;

  constructor(
    readonly id: bigint,
    /** The TTL granted by the server. */
    readonly ttlSeconds: number,
    private readonly calls: LeaseHandleCalls,
    /** False for a handle that renews only when asked (renewNow). */
    keepAlive = true,
  ) {
    super();
    this.stopped = !keepAlive;
    this.schedule();
  }

  /** Stops renewing and revokes the lease, which deletes its keys. */
  async revoke(): Promise<void> {
    this.stop();
    await this.calls.revoke(this.id);
  }

  /** Stops renewing; the lease expires after its TTL. */
  stop(): void {
    this.stopped = true;
    this.calls.released(this);
    clearTimeout(this.timer);
    this.stream?.cancel();
    this.stream = undefined;
  }

  /** Renews the lease at once; resolves to the renewed TTL in seconds (0: the lease is gone). */
  async renewNow(timeoutMs: number): Promise<number> {
    try {
      return await this.renewOnce(timeoutMs);
    } catch (thrown) {
      this.dropStream();
      throw this.calls.runner.errorOf(thrown, this.streamEndpoint, true);
    }
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private schedule(): void {
    if (this.stopped) return;
    // Not unref'd: a kept-alive lease is work in progress, until stop(), revoke() or client.close().
    this.timer = setTimeout(() => void this.renew(), (this.ttlSeconds * 1_000) / RENEWALS_PER_TTL);
  }

  private async renew(): Promise<void> {
    try {
      // A renewal slower than the interval between renewals is as good as lost.
      const ttlSeconds = await this.renewOnce((this.ttlSeconds * 1_000) / RENEWALS_PER_TTL);
      if (this.stopped) return;
      if (ttlSeconds <= 0) return this.lose(new BeaverVaultError({ code: 'MVCC_LEASE_NOT_FOUND', message: `lease ${this.id.toString(16)} was not found; it expired or was revoked`, retryable: false, mayHaveCommitted: false }));
      this.lastRenewedAtMs = Date.now();
      this.emit('keepAlive', ttlSeconds);
    } catch (thrown) {
      this.dropStream();
      const error = this.calls.runner.errorOf(thrown, this.streamEndpoint, true);
      if (Date.now() - this.lastRenewedAtMs >= this.ttlSeconds * 1_000) return this.lose(error);
    }
    this.schedule();
  }

  private async renewOnce(timeoutMs: number): Promise<number> {
    const stream = await this.openStream();
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => cleanUp(() => reject(new BeaverVaultError({ code: 'CLIENT_DEADLINE_EXCEEDED', message: `no keep-alive answer within ${timeoutMs} ms`, retryable: true, mayHaveCommitted: false }))), timeoutMs);
      const onData = (response: LeaseKeepAliveResponse): void => cleanUp(() => {
        this.calls.runner.noteAnswer(this.streamEndpoint, response.header);
        resolve(Number(response.ttlSeconds));
      });
      const onError = (error: Error): void => cleanUp(() => reject(error));
      const cleanUp = (then: () => void): void => {
        clearTimeout(timer);
        stream.off('data', onData).off('error', onError);
        then();
      };
      stream.once('data', onData).once('error', onError);
      stream.write({ id: this.id });
    });
  }

  private async openStream(): Promise<ClientDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>> {
    if (this.stream !== undefined) return this.stream;
    this.streamEndpoint = this.calls.pool.pick('write');
    const client = await this.calls.channels.ready(this.streamEndpoint, this.calls.dialTimeoutMs).catch((error: unknown) => {
      this.calls.pool.reportFailure(this.streamEndpoint);
      throw error;
    });
    const stream = client.leaseKeepAlive();
    // An error between renewals must not go unhandled; the next renewal opens a new stream.
    stream.on('error', () => {
      if (this.stream === stream) this.dropStream();
    });
    this.stream = stream;
    return stream;
  }

  private dropStream(): void {
    if (this.stream === undefined) return;
    this.calls.pool.reportFailure(this.streamEndpoint);
    this.stream.cancel();
    this.stream = undefined;
  }

  private lose(error: BeaverVaultError): void {
    this.stop();
    this.emit('lost', error);
  }
}
