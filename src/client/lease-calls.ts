// Lease calls: grant (with a handle that keeps the lease alive), revoke, time to live, list.
import { callUnary, type CallRunner } from './call-runner.js';
import type { CallOptions, ResolvedOptions } from './client-options.js';
import type { EndpointPool } from './endpoint-pool.js';
import type { GrpcChannels } from './grpc-channels.js';
import { Lease, type LeaseHandleCalls } from './lease-keeper.js';

export interface LeaseTimeToLive {
  readonly id: bigint;
  /** Seconds left as the leader sees it; -1 when the lease does not exist. */
  readonly ttlSeconds: number;
  readonly grantedTtlSeconds: number;
  readonly keys: readonly Buffer[];
}

export interface LeaseListing {
  readonly id: bigint;
  readonly grantedTtlSeconds: number;
}

export class LeaseCalls {
  /** Handles this client keeps alive; close() stops them all. */
  private readonly keptAlive = new Set<Lease>();

  constructor(
    private readonly options: ResolvedOptions,
    private readonly pool: EndpointPool,
    private readonly channels: GrpcChannels,
    private readonly runner: CallRunner,
  ) {}

  /**
   * Grants a lease and keeps it alive until `revoke()` or `stop()` on the handle; listen for
   * its `lost` event. `keepAlive: false` grants a lease that simply expires.
   */
  async grant(ttlSeconds: number, options: CallOptions & { readonly id?: bigint | number; readonly keepAlive?: boolean } = {}): Promise<Lease> {
    const request = { ttlSeconds: BigInt(ttlSeconds), id: BigInt(options.id ?? 0) };
    const response = await this.runner.run({ kind: 'write', idempotent: false, timeoutMs: options.timeoutMs }, (client, deadline) => callUnary(client.leaseGrant.bind(client), request, deadline));
    const lease = new Lease(response.id, Number(response.ttlSeconds), this.handleCalls(), options.keepAlive ?? true);
    if (!lease.isStopped) this.keptAlive.add(lease);
    return lease;
  }

  /** Stops every keep-alive this client runs; the leases then expire after their TTL. */
  stopKeepAlives(): void {
    for (const lease of [...this.keptAlive]) lease.stop();
  }

  /** Revokes the lease and deletes its keys. Repeating it fails with MVCC_LEASE_NOT_FOUND. */
  async revoke(id: bigint | number, options: CallOptions = {}): Promise<void> {
    await this.runner.run({ kind: 'write', idempotent: false, timeoutMs: options.timeoutMs }, (client, deadline) => callUnary(client.leaseRevoke.bind(client), { id: BigInt(id) }, deadline));
  }

  /** Renews the lease once; resolves to its TTL in seconds (0 when the lease is gone). */
  async keepAliveOnce(id: bigint | number, options: CallOptions = {}): Promise<number> {
    // The TTL is what the renewal answers; the handle never renews by itself.
    const lease = new Lease(BigInt(id), 0, this.handleCalls(), false);
    try {
      return await lease.renewNow(options.timeoutMs ?? this.options.requestTimeoutMs);
    } finally {
      lease.stop();
    }
  }

  async timeToLive(id: bigint | number, options: CallOptions & { readonly keys?: boolean } = {}): Promise<LeaseTimeToLive> {
    const request = { id: BigInt(id), keys: options.keys ?? false };
    const response = await this.runner.run({ kind: 'read', idempotent: true, timeoutMs: options.timeoutMs }, (client, deadline) => callUnary(client.leaseTimeToLive.bind(client), request, deadline));
    return { id: response.id, ttlSeconds: Number(response.ttlSeconds), grantedTtlSeconds: Number(response.grantedTtlSeconds), keys: response.keys.map((key) => Buffer.from(key)) };
  }

  private handleCalls(): LeaseHandleCalls {
    return { runner: this.runner, pool: this.pool, channels: this.channels, dialTimeoutMs: this.options.dialTimeoutMs, revoke: (id) => this.revoke(id), released: (lease) => this.keptAlive.delete(lease) };
  }

  async list(options: CallOptions = {}): Promise<readonly LeaseListing[]> {
    const response = await this.runner.run({ kind: 'read', idempotent: true, timeoutMs: options.timeoutMs }, (client, deadline) => callUnary(client.leaseList.bind(client), {}, deadline));
    return response.leases.map((lease) => ({ id: lease.id, grantedTtlSeconds: Number(lease.grantedTtlSeconds) }));
  }
}
