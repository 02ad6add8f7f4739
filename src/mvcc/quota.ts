// The backend quota and alarms. Alarms are replicated state (AlarmRequest is applied like any
// other request), so every member rejects the same writes while NOSPACE is active. Measuring
// the database is local and not deterministic; the leader uses QuotaGuard to decide when to
// propose the alarm, as etcd's quota check does before proposing.
import type { AlarmMember, AlarmRequest } from './requests.js';
import { AlarmAction, AlarmType } from './requests.js';

export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;

export function noSpaceActive(alarms: ReadonlyArray<AlarmMember>): boolean {
  return alarms.some((member) => member.alarm === AlarmType.NoSpace);
}

/** Applies an AlarmRequest; returns the new alarm list (sorted, so it encodes identically) and the response members. */
export function applyAlarm(alarms: ReadonlyArray<AlarmMember>, request: AlarmRequest): { alarms: AlarmMember[]; response: AlarmMember[] } {
  const same = (member: AlarmMember): boolean => member.memberId === request.memberId && member.alarm === request.alarm;
  switch (request.action) {
    case AlarmAction.Get:
      return { alarms: [...alarms], response: alarms.filter((member) => request.alarm === AlarmType.None || member.alarm === request.alarm) };
    case AlarmAction.Activate: {
      if (request.alarm === AlarmType.None) return { alarms: [...alarms], response: [] };
      const member = { memberId: request.memberId, alarm: request.alarm };
      const next = alarms.some(same) ? [...alarms] : [...alarms, member];
      return { alarms: next.sort((a, b) => a.memberId - b.memberId || a.alarm - b.alarm), response: [member] };
    }
    case AlarmAction.Deactivate: {
      const removed = alarms.filter(same);
      return { alarms: alarms.filter((member) => !same(member)), response: removed };
    }
  }
}

/** The leader's view of the quota: when to raise NOSPACE, and whether a write still fits. */
export class QuotaGuard {
  constructor(
    readonly quotaBytes: number = DEFAULT_QUOTA_BYTES,
    private readonly memberId: number = 0,
  ) {
    if (!Number.isSafeInteger(quotaBytes) || quotaBytes <= 0) throw new RangeError(`quotaBytes must be a positive integer (got ${quotaBytes})`);
  }

  /** Whether a request of `requestBytes` fits next to a database of `sizeBytes`. */
  admits(sizeBytes: number, requestBytes: number): boolean {
    return sizeBytes + requestBytes <= this.quotaBytes;
  }

  /** The alarm to propose after measuring the database, if the quota is passed and no alarm is raised yet. */
  alarmToPropose(sizeBytes: number, alarms: ReadonlyArray<AlarmMember>): AlarmRequest | undefined {
    if (sizeBytes <= this.quotaBytes || noSpaceActive(alarms)) return undefined;
    return { action: AlarmAction.Activate, memberId: this.memberId, alarm: AlarmType.NoSpace };
  }
}
