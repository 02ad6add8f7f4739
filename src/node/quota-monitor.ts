// The backend quota. Each member measures its own database now and then (the measurement is
// asynchronous and local); when it passes the quota the member proposes a NOSPACE alarm in its
// own name (so does a write that would pass it), and when compaction and reclaim have brought
// it well under the quota it proposes clearing that alarm. While any NOSPACE alarm is active every member refuses writes that add
// data, before proposing them (and apply refuses them too, so no member can diverge).

import type { AlarmMember, AlarmRequest, MvccRequest } from '../mvcc/index.js';
import { AlarmAction, AlarmType, noSpaceActive, QuotaGuard } from '../mvcc/index.js';
import { txnHasPut } from '../mvcc/txn.js';

/** An alarm is cleared only below this share of the quota, so it does not flap at the boundary. */
const CLEAR_BELOW_QUOTA_FRACTION = 0.9;

/** Why a write was refused: the alarm to propose, or none when one is raised already. */
export interface QuotaRefusal {
  readonly raise: AlarmRequest | undefined;
}

export class QuotaMonitor {
  private readonly guard: QuotaGuard;
  // Invariant: the last measured size; 0 until the first measurement.
  private sizeBytes = 0;

  constructor(
    quotaBytes: number,
    private readonly memberId: number,
  ) {
    this.guard = new QuotaGuard(quotaBytes, memberId);
  }

  get quotaBytes(): number {
    return this.guard.quotaBytes;
  }

  get measuredBytes(): number {
    return this.sizeBytes;
  }

  /** Refuses a request that adds data while an alarm is raised or that would pass the quota. */
  refusal(request: MvccRequest, requestBytes: number, alarms: readonly AlarmMember[]): QuotaRefusal | undefined {
    if (!addsData(request)) return undefined;
    if (noSpaceActive(alarms)) return { raise: undefined };
    if (this.guard.admits(this.sizeBytes, requestBytes)) return undefined;
    return { raise: { action: AlarmAction.Activate, memberId: this.memberId, alarm: AlarmType.NoSpace } };
  }

  /** Records a measurement; returns the alarm change to propose, if any. */
  measured(sizeBytes: number, alarms: readonly AlarmMember[]): AlarmRequest | undefined {
    this.sizeBytes = sizeBytes;
    const raise = this.guard.alarmToPropose(sizeBytes, alarms);
    if (raise !== undefined) return raise;
    const own = alarms.some((member) => member.memberId === this.memberId && member.alarm === AlarmType.NoSpace);
    if (own && sizeBytes <= this.guard.quotaBytes * CLEAR_BELOW_QUOTA_FRACTION) return { action: AlarmAction.Deactivate, memberId: this.memberId, alarm: AlarmType.NoSpace };
    return undefined;
  }
}

function addsData(request: MvccRequest): boolean {
  switch (request.type) {
    case 'put':
    case 'leaseGrant':
      return true;
    case 'txn':
      return txnHasPut(request.txn);
    default:
      return false;
  }
}
