// The backend quota. Each member measures its own database now and then (the measurement is
// asynchronous and local); when it passes the quota the member proposes a NOSPACE alarm in its
// own name, and when compaction and reclaim have brought it back under the quota it proposes
// clearing that alarm. While any NOSPACE alarm is active every member refuses writes that add
// data, before proposing them (and apply refuses them too, so no member can diverge).

import type { AlarmMember, AlarmRequest, MvccRequest } from '../mvcc/index.js';
import { AlarmAction, AlarmType, MvccError, noSpaceActive, QuotaGuard } from '../mvcc/index.js';
import { txnHasPut } from '../mvcc/txn.js';

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

  /** Throws MVCC_NOSPACE if `request` adds data while an alarm is raised or would pass the quota. */
  admit(request: MvccRequest, requestBytes: number, alarms: readonly AlarmMember[]): void {
    if (!addsData(request)) return;
    if (noSpaceActive(alarms) || !this.guard.admits(this.sizeBytes, requestBytes)) throw new MvccError('MVCC_NOSPACE');
  }

  /** Records a measurement; returns the alarm change to propose, if any. */
  measured(sizeBytes: number, alarms: readonly AlarmMember[]): AlarmRequest | undefined {
    this.sizeBytes = sizeBytes;
    const raise = this.guard.alarmToPropose(sizeBytes, alarms);
    if (raise !== undefined) return raise;
    const own = alarms.some((member) => member.memberId === this.memberId && member.alarm === AlarmType.NoSpace);
    if (own && sizeBytes <= this.guard.quotaBytes) return { action: AlarmAction.Deactivate, memberId: this.memberId, alarm: AlarmType.NoSpace };
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
