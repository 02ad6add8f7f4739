// Leader-side lease expiry (etcd's primary lessor). This is the non-deterministic half of
// leases: it reads an injected clock, and its decisions leave the node only as proposals —
// revoke requests for expired leases and checkpoint requests that replicate the remaining
// TTL, so that a new leader resumes each lease where the old one left it instead of granting
// it a fresh TTL. Keep-alives are not replicated, as in etcd.
import { MvccError, leaseNotFound } from './errors.js';
import type { LeaseEvent } from './lessor.js';
import type { LeaseRecord } from './record-codec.js';
import type { LeaseCheckpoint, LeaseCheckpointRequest } from './requests.js';
import type { LeaseId } from './types.js';

export interface LeaseExpiryOptions {
  readonly now: () => number;
  /** How often each lease's remaining TTL is checkpointed (etcd: 5 minutes). */
  readonly checkpointIntervalMs?: number;
  readonly checkpointBatchMax?: number;
  /** An expired lease is proposed for revocation again if still present after this long. */
  readonly revokeRetryMs?: number;
  readonly expiredBatchMax?: number;
}

interface TrackedLease {
  readonly id: LeaseId;
  ttlSeconds: number;
  expiresAtMs: number;
  lastCheckpointMs: number;
  /** A keep-alive reset the lease: replicate "full TTL" so a new leader does not cut it short. */
  resetPending: boolean;
  revokeProposedAtMs: number | undefined;
}

export class LeaseExpiry {
  private readonly leases = new Map<LeaseId, TrackedLease>();
  private primary = false;
  private readonly checkpointIntervalMs: number;
  private readonly checkpointBatchMax: number;
  private readonly revokeRetryMs: number;
  private readonly expiredBatchMax: number;

  constructor(private readonly options: LeaseExpiryOptions) {
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? 5 * 60_000;
    this.checkpointBatchMax = options.checkpointBatchMax ?? 1000;
    this.revokeRetryMs = options.revokeRetryMs ?? 3000;
    this.expiredBatchMax = options.expiredBatchMax ?? 1000;
  }

  get isPrimary(): boolean {
    return this.primary;
  }

  /**
   * Becomes primary on election, from the replicated lease table: each lease runs for its
   * checkpointed remaining TTL (or its full TTL if none), plus `extendMs` so clients have time
   * to reach the new leader, as etcd extends leases on promotion.
   */
  promote(leases: Iterable<LeaseRecord>, extendMs = 0): void {
    const now = this.options.now();
    this.leases.clear();
    for (const lease of leases) {
      const remaining = lease.remainingTtl > 0 ? lease.remainingTtl : lease.ttl;
      this.leases.set(lease.id, { id: lease.id, ttlSeconds: lease.ttl, expiresAtMs: now + remaining * 1000 + extendMs, lastCheckpointMs: now, resetPending: false, revokeProposedAtMs: undefined });
    }
    this.primary = true;
  }

  demote(): void {
    this.primary = false;
    this.leases.clear();
  }

  /** Feed with store.addLeaseListener(event => expiry.observe(event)). */
  observe(event: LeaseEvent): void {
    if (!this.primary) return;
    const now = this.options.now();
    if (event.type === 'grant') {
      this.leases.set(event.id, { id: event.id, ttlSeconds: event.ttl, expiresAtMs: now + event.ttl * 1000, lastCheckpointMs: now, resetPending: false, revokeProposedAtMs: undefined });
    } else if (event.type === 'revoke') {
      this.leases.delete(event.id);
    } else {
      // The table was replaced; the node re-promotes from store.leases().
      this.demote();
    }
  }

  /** Renews a lease and returns its TTL in seconds (etcd's LeaseKeepAlive). */
  keepAlive(id: number): number {
    const lease = this.tracked(id);
    const now = this.options.now();
    if (lease.expiresAtMs <= now) throw leaseNotFound(id);
    lease.expiresAtMs = now + lease.ttlSeconds * 1000;
    lease.resetPending = true;
    return lease.ttlSeconds;
  }

  /** Remaining TTL in seconds, rounded up (etcd's LeaseTimeToLive ttl); -1 once expired. */
  remainingTtl(id: number): number {
    const remainingMs = this.tracked(id).expiresAtMs - this.options.now();
    return remainingMs <= 0 ? -1 : Math.ceil(remainingMs / 1000);
  }

  /** Expired leases to propose revoking; each is offered again only after revokeRetryMs. */
  expired(): LeaseId[] {
    if (!this.primary) return [];
    const now = this.options.now();
    const ids: LeaseId[] = [];
    for (const lease of this.leases.values()) {
      if (ids.length >= this.expiredBatchMax) break;
      if (lease.expiresAtMs > now) continue;
      if (lease.revokeProposedAtMs !== undefined && now - lease.revokeProposedAtMs < this.revokeRetryMs) continue;
      lease.revokeProposedAtMs = now;
      ids.push(lease.id);
    }
    return ids;
  }

  /** A checkpoint request for leases that were renewed or are due, or undefined if none are. */
  checkpoints(): LeaseCheckpointRequest | undefined {
    if (!this.primary) return undefined;
    const now = this.options.now();
    const checkpoints: LeaseCheckpoint[] = [];
    for (const lease of this.leases.values()) {
      if (checkpoints.length >= this.checkpointBatchMax) break;
      const due = now - lease.lastCheckpointMs >= this.checkpointIntervalMs;
      if (!lease.resetPending && !due) continue;
      const remainingSeconds = lease.resetPending ? 0 : Math.max(1, Math.ceil((lease.expiresAtMs - now) / 1000));
      checkpoints.push({ id: lease.id, remainingTtl: remainingSeconds });
      lease.lastCheckpointMs = now;
      lease.resetPending = false;
    }
    return checkpoints.length === 0 ? undefined : { checkpoints };
  }

  private tracked(id: number): TrackedLease {
    if (!this.primary) throw new MvccError('MVCC_LEASE_NOT_PRIMARY');
    const lease = this.leases.get(id as LeaseId);
    if (lease === undefined) throw leaseNotFound(id);
    return lease;
  }
}
