// The backup rules without a clock or a bucket: when a backup is due (one after any downtime,
// none right after one), how failures are spaced, what a backup is called, which backups
// retention deletes, and which member a backup is taken from.

import { describe, expect, it } from 'vitest';
import {
  backupKey,
  backupSource,
  backupsToDelete,
  backupTiming,
  newestBackup,
  parseBackupKey,
  parseMaxAge,
  parseSchedule,
  retryDelayMs,
  ScheduleError,
} from '../../operator/src/backup-schedule.js';
import type { ClusterObservation, MemberObservation } from '../../operator/src/next-step.js';

const at = (iso: string) => Date.parse(iso);
const HOUR_MS = 3_600_000;

describe('when a backup is due', () => {
  const sixHourly = parseSchedule('0 */6 * * *');

  it('is due at the first slot after the last backup, and not before it', () => {
    const last = at('2026-03-01T06:00:04Z');
    expect(backupTiming(sixHourly, last, 0, at('2026-03-01T11:59:59Z'))).toEqual({ due: false, nextMs: at('2026-03-01T12:00:00Z') });
    expect(backupTiming(sixHourly, last, 0, at('2026-03-01T12:00:00Z'))).toEqual({ due: true, slotMs: at('2026-03-01T12:00:00Z') });
    expect(backupTiming(sixHourly, last, 0, at('2026-03-01T12:00:30Z'))).toEqual({ due: true, slotMs: at('2026-03-01T12:00:00Z') });
  });

  it('takes one backup after downtime across many slots, not one per missed slot', () => {
    const last = at('2026-03-01T06:00:04Z');
    // Down for three days: the newest missed slot is due, once.
    const back = at('2026-03-04T07:13:00Z');
    const timing = backupTiming(sixHourly, last, 0, back);
    expect(timing).toEqual({ due: true, slotMs: at('2026-03-04T06:00:00Z') });
    // That backup done, nothing is due until the next slot: the missed ones are not made up.
    const done = back + 5_000;
    expect(backupTiming(sixHourly, done, 0, done + 1_000)).toEqual({ due: false, nextMs: at('2026-03-04T12:00:00Z') });
  });

  it('counts from the cluster\'s creation before its first backup', () => {
    const created = at('2026-03-01T07:00:00Z');
    expect(backupTiming(sixHourly, undefined, created, at('2026-03-01T11:00:00Z'))).toEqual({ due: false, nextMs: at('2026-03-01T12:00:00Z') });
    expect(backupTiming(sixHourly, undefined, created, at('2026-03-02T01:00:00Z'))).toEqual({ due: true, slotMs: at('2026-03-02T00:00:00Z') });
  });

  it('waits for the slot after a last backup recorded in the future (a clock that ran ahead)', () => {
    const everyMinute = parseSchedule('* * * * *');
    expect(backupTiming(everyMinute, at('2026-03-01T12:10:30Z'), 0, at('2026-03-01T12:05:00Z'))).toEqual({ due: false, nextMs: at('2026-03-01T12:11:00Z') });
  });

  it('takes five cron fields in UTC and says what is wrong with anything else', () => {
    expect(() => parseSchedule('0 0 * * * *')).toThrow(ScheduleError);
    expect(() => parseSchedule('0 0 * * * *')).toThrow(/give five/);
    expect(() => parseSchedule('61 * * * *')).toThrow(/not a cron schedule/);
    expect(parseSchedule(' 30  2 * * 1 ').nextAfter(at('2026-03-01T00:00:00Z'))).toBe(at('2026-03-02T02:30:00Z'));
  });

  it('spaces retries from 10 s, doubling, up to 5 min', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(retryDelayMs)).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });
});

describe('backup objects and retention', () => {
  const folder = 'prod/orders/';
  const key = (iso: string, revision = 1) => backupKey('prod/', 'orders', at(iso), revision);
  const now = at('2026-03-10T00:00:00Z');

  it('names a backup <prefix><cluster>/<UTC time>-r<revision>.snapshot, and reads the name back', () => {
    const name = backupKey('prod/', 'orders', at('2026-03-01T06:00:04.250Z'), 42);
    expect(name).toBe('prod/orders/20260301T060004Z-r42.snapshot');
    expect(parseBackupKey(name)).toEqual({ takenAtMs: at('2026-03-01T06:00:04Z'), revision: 42 });
    expect(parseBackupKey('prod/orders/notes.txt')).toBeUndefined();
    expect(parseBackupKey(`${name}.uploading`)).toBeUndefined();
  });

  it('keeps the newest `count` backups', () => {
    const keys = ['2026-03-01', '2026-03-03', '2026-03-02', '2026-03-04'].map((day) => key(`${day}T00:00:00Z`));
    const newest = key('2026-03-04T00:00:00Z');
    expect(backupsToDelete(keys, folder, { count: 2 }, now, newest).sort()).toEqual([key('2026-03-01T00:00:00Z'), key('2026-03-02T00:00:00Z')]);
    expect(backupsToDelete(keys, folder, { count: 7 }, now, newest)).toEqual([]);
  });

  it('deletes backups older than maxAge whatever their number, but never the one just written', () => {
    const keys = [key('2026-03-01T00:00:00Z'), key('2026-03-08T00:00:00Z'), key('2026-03-09T12:00:00Z')];
    expect(backupsToDelete(keys, folder, { count: 7, maxAgeMs: parseMaxAge('72h') }, now, keys[2] ?? '')).toEqual([key('2026-03-01T00:00:00Z')]);
    // maxAge shorter than the time since the newest: the newest still stays.
    expect(backupsToDelete(keys, folder, { count: 7, maxAgeMs: HOUR_MS }, now, keys[2] ?? '').sort()).toEqual(keys.slice(0, 2).sort());
    // Both limits apply.
    expect(backupsToDelete(keys, folder, { count: 1, maxAgeMs: parseMaxAge('30d') }, now, keys[2] ?? '').sort()).toEqual(keys.slice(0, 2).sort());
  });

  it('deletes only backups directly in the cluster\'s folder, never other objects or deeper folders', () => {
    const old = key('2026-01-01T00:00:00Z');
    const keys = [old, 'prod/orders/notes.txt', `${key('2026-01-02T00:00:00Z')}.uploading`, 'prod/orders/eu/20260101T000000Z-r1.snapshot', key('2026-03-09T00:00:00Z')];
    expect(backupsToDelete(keys, folder, { count: 1 }, now, key('2026-03-09T00:00:00Z'))).toEqual([old]);
  });

  it('reads maxAge in hours or days', () => {
    expect(parseMaxAge('72h')).toBe(72 * HOUR_MS);
    expect(parseMaxAge('30d')).toBe(30 * 24 * HOUR_MS);
    expect(() => parseMaxAge('30m')).toThrow(ScheduleError);
  });

  it('finds the newest backup under a prefix for a restore that names none', () => {
    expect(newestBackup([key('2026-03-01T00:00:00Z'), 'prod/orders/notes.txt', key('2026-03-05T00:00:00Z'), key('2026-03-02T00:00:00Z')])).toBe(key('2026-03-05T00:00:00Z'));
    expect(newestBackup(['prod/orders/notes.txt'])).toBeUndefined();
  });
});

describe('the member a backup is taken from', () => {
  const member = (name: string, overrides: Partial<MemberObservation> = {}): MemberObservation => ({
    name,
    id: 1n,
    isLearner: false,
    status: { ready: true, appliedIndex: 100, version: '0.1.0' },
    pod: { name, version: '0.1.0', specDigest: 's1', ready: true, deleting: false, createdAtMs: 0 },
    hasVolume: true,
    ...overrides,
  });
  const cluster = (members: MemberObservation[], leader: string | undefined): ClusterObservation => ({
    replicas: 3, version: '0.1.0', specDigest: 's1', bootstrapped: true, members, ...(leader === undefined ? {} : { leader }), pods: [], volumes: [], firstMember: 'a', nowMs: 0,
  });

  it('is the most caught-up ready follower, sparing the leader', () => {
    const members = [member('a'), member('b', { status: { ready: true, appliedIndex: 90, version: '0.1.0' } }), member('c', { status: { ready: true, appliedIndex: 99, version: '0.1.0' } })];
    expect(backupSource(cluster(members, 'a'))).toBe('c');
  });

  it('is the leader when no follower is ready, and no one without a ready leader', () => {
    const members = [member('a'), member('b', { status: { ready: false, appliedIndex: 90, version: '0.1.0' } }), member('c', { isLearner: true })];
    expect(backupSource(cluster(members, 'a'))).toBe('a');
    expect(backupSource(cluster(members, undefined))).toBeUndefined();
    expect(backupSource(cluster([member('a', { status: { ready: false, appliedIndex: 1, version: '0.1.0' } }), member('b')], 'a'))).toBeUndefined();
  });
});
