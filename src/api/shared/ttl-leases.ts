// Writes with a `ttl`: the seeds' per-key expiry is an etcd lease granted for the write. The
// grants and the write are separate proposals, so a write that does not take effect (a failed
// precondition, an error) revokes its leases again rather than leaving them to expire unused.
import { validateRequest, type MvccLimits, type MvccRequest } from '../../mvcc/index.js';
import type { KvNode } from '../../node/kv-node.js';
import type { Logger } from '../../observability/logger.js';
import { responseOf } from './node-responses.js';

/** What the TTL-lease helpers need besides the caller's node; the REST and gRPC contexts both provide it. */
export interface TtlLeaseContext {
  readonly limits: MvccLimits;
  readonly logger: Logger;
}

/** Lease ids by the TTL (seconds) they were granted for. */
export type LeasesByTtl = ReadonlyMap<number, number>;

/**
 * Grants one lease per distinct TTL in `ttlsSeconds`, runs `write` with them, and revokes them
 * if the write failed or `tookEffect` says it changed nothing.
 */
export async function withTtlLeases<T>(
  node: KvNode,
  context: TtlLeaseContext,
  ttlsSeconds: Iterable<number>,
  write: (leases: LeasesByTtl) => Promise<T>,
  tookEffect: (result: T) => boolean,
): Promise<T> {
  const leases = new Map<number, number>();
  try {
    for (const ttl of ttlsSeconds) {
      if (!leases.has(ttl)) leases.set(ttl, await grantLease(node, context, ttl));
    }
    const result = await write(leases);
    if (!tookEffect(result)) await revokeQuietly(node, context, leases.values());
    return result;
  } catch (error) {
    await revokeQuietly(node, context, leases.values());
    throw error;
  }
}

export function ttlList(ttlSeconds: number | undefined): number[] {
  return ttlSeconds === undefined ? [] : [ttlSeconds];
}

async function grantLease(node: KvNode, context: TtlLeaseContext, ttlSeconds: number): Promise<number> {
  const request: MvccRequest = { type: 'leaseGrant', leaseGrant: { ttl: ttlSeconds } };
  validateRequest(request, context.limits);
  return responseOf(await node.write(request), 'leaseGrant').leaseGrant.id;
}

async function revokeQuietly(node: KvNode, context: TtlLeaseContext, leases: Iterable<number>): Promise<void> {
  for (const lease of leases) {
    try {
      await node.write({ type: 'leaseRevoke', leaseRevoke: { id: lease } });
    } catch (error) {
      // The lease then expires by itself after its TTL; nothing is attached to it.
      context.logger.warn({ err: error, lease }, 'could not revoke the lease of a write that did not take effect');
    }
  }
}
