// Drives lease expiry on the leader. On election the leader promotes a LeaseExpiry from the
// replicated lease table (each lease resumes from its checkpointed remaining TTL); on every
// tick it asks for revokes of expired leases and checkpoints of renewed or due ones, which
// the node proposes like any write. Keep-alives reach it directly (forwarded by followers).
// A restore replaces the lease table; a leader then promotes again from the new table.

import type { LeaseRecord, MvccRequest } from '../mvcc/index.js';
import { LeaseExpiry } from '../mvcc/index.js';
import type { LeaseEvent } from '../mvcc/index.js';

export interface LeaseDriverOptions {
  readonly checkpointIntervalMs: number;
  readonly now: () => number;
  /** The replicated lease table, which a promotion starts from. */
  readonly leases: () => Promise<LeaseRecord[]>;
  /** Added to every lease at promotion, so that clients have time to find the new leader. */
  readonly promotionExtendMs: number;
}

export class LeaseDriver {
  private readonly expiry: LeaseExpiry;
  /** A restore replaced the lease table (and demoted the expiry) since resumeAfterRestore last ran. */
  private tableReplaced = false;

  constructor(private readonly options: LeaseDriverOptions) {
    this.expiry = new LeaseExpiry({ now: options.now, checkpointIntervalMs: options.checkpointIntervalMs });
  }

  get isPrimary(): boolean {
    return this.expiry.isPrimary;
  }

  /** Feed it every lease event of the store (grants and revokes after promotion, and a restore's reset). */
  observe(event: LeaseEvent): void {
    this.expiry.observe(event);
    if (event.type === 'reset') this.tableReplaced = true;
  }

  /** This node became the leader (it becomes the primary lessor) or stopped being it. */
  async leadershipChanged(isLeader: boolean): Promise<void> {
    if (!isLeader) {
      this.expiry.demote();
      return;
    }
    this.expiry.promote(await this.options.leases(), this.options.promotionExtendMs);
  }

  /**
   * A leader whose lease table a restore replaced resumes expiring leases from the new table.
   * The node calls it after each Ready-loop iteration's applies, so grants applied after the
   * restore are in the table.
   */
  async resumeAfterRestore(isLeader: boolean): Promise<void> {
    if (!this.tableReplaced) return;
    this.tableReplaced = false;
    if (isLeader) await this.leadershipChanged(true);
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
