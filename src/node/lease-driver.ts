// Drives lease expiry on the leader. On election the leader promotes a LeaseExpiry from the
// replicated lease table (each lease resumes from its checkpointed remaining TTL); on every
// tick it asks for revokes of expired leases and checkpoints of renewed or due ones, which
// the node proposes like any write. Keep-alives reach it directly (forwarded by followers).

import type { LeaseRecord, MvccRequest } from '../mvcc/index.js';
import { LeaseExpiry } from '../mvcc/index.js';
import type { LeaseEvent } from '../mvcc/index.js';

export interface LeaseDriverOptions {
  readonly checkpointIntervalMs: number;
  readonly now: () => number;
}

export class LeaseDriver {
  private readonly expiry: LeaseExpiry;

  constructor(options: LeaseDriverOptions) {
    this.expiry = new LeaseExpiry({ now: options.now, checkpointIntervalMs: options.checkpointIntervalMs });
  }

  get isPrimary(): boolean {
    return this.expiry.isPrimary;
  }

  /** Feed it every lease event of the store (grants and revokes after promotion). */
  observe(event: LeaseEvent): void {
    this.expiry.observe(event);
  }

  /** Becomes the primary lessor; `extendMs` gives clients time to find the new leader. */
  promote(leases: readonly LeaseRecord[], extendMs: number): void {
    this.expiry.promote(leases, extendMs);
  }

  demote(): void {
    this.expiry.demote();
  }

  /** Revokes of expired leases and a checkpoint batch, to propose now; empty unless primary. */
  due(): MvccRequest[] {
    const requests: MvccRequest[] = this.expiry.expired().map((id) => ({ type: 'leaseRevoke', leaseRevoke: { id } }));
    const checkpoints = this.expiry.checkpoints();
    if (checkpoints !== undefined) requests.push({ type: 'leaseCheckpoint', leaseCheckpoint: checkpoints });
    return requests;
  }

  /** Renews a lease; throws MVCC_LEASE_NOT_FOUND or MVCC_LEASE_NOT_PRIMARY. */
  keepAlive(id: number): number {
    return this.expiry.keepAlive(id);
  }

  remainingTtl(id: number): number {
    return this.expiry.remainingTtl(id);
  }
}
