// When a backup is due, what its object is called, and which backups retention deletes: pure
// functions of the schedule, the last backup's time and the objects a listing found, so that the
// rules are tested without a clock or a bucket.
//
// Due: the newest slot of the schedule that is in the past and after the last backup (after the
// cluster's creation, before the first). An operator that was down across many slots therefore
// takes one backup when it is back, not one per missed slot, and one that restarts right after a
// backup takes none until the next slot.

import { CronExpressionParser } from 'cron-parser';
import type { ClusterObservation } from './next-step.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** A failed backup is tried again after 10 s, then 20 s, 40 s, ... up to 5 min. */
const RETRY_FIRST_MS = 10_000;
const RETRY_MAX_MS = 5 * 60_000;

/** A schedule the operator cannot use; its message says what to change. */
export class ScheduleError extends Error {}

export interface Schedule {
  /** The newest slot at or before `atMs`; undefined when the schedule has none. */
  latestAtOrBefore(atMs: number): number | undefined;
  /** The first slot after `atMs`. */
  nextAfter(atMs: number): number;
}

/** Five cron fields (minute hour day-of-month month day-of-week), in UTC. */
export function parseSchedule(text: string): Schedule {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 5) throw new ScheduleError(`schedule "${text}" has ${fields.length} fields; give five: minute hour day-of-month month day-of-week, e.g. "0 */6 * * *"`);
  const at = (ms: number) => {
    try {
      return CronExpressionParser.parse(fields.join(' '), { currentDate: new Date(ms), tz: 'UTC' });
    } catch (error) {
      throw new ScheduleError(`schedule "${text}" is not a cron schedule: ${(error as Error).message}`);
    }
  };
  at(0);
  return {
    latestAtOrBefore: (atMs) => {
      // prev() is strictly before its date: a millisecond later includes a slot at atMs itself.
      const expression = at(atMs + 1);
      return expression.hasPrev() ? expression.prev().getTime() : undefined;
    },
    nextAfter: (atMs) => at(atMs).next().getTime(),
  };
}

export type BackupTiming = { readonly due: true; readonly slotMs: number } | { readonly due: false; readonly nextMs: number };

/**
 * Whether a backup is due at `nowMs`: the newest slot not after now is later than the last
 * backup (`lastBackupMs`), or than `sinceMs` (the cluster's creation) when there was none.
 */
export function backupTiming(schedule: Schedule, lastBackupMs: number | undefined, sinceMs: number, nowMs: number): BackupTiming {
  const reference = lastBackupMs ?? sinceMs;
  const slotMs = schedule.latestAtOrBefore(nowMs);
  if (slotMs !== undefined && slotMs > reference) return { due: true, slotMs };
  // A last backup in the future (another operator's clock ran ahead) waits for the slot after it.
  return { due: false, nextMs: schedule.nextAfter(Math.max(nowMs, reference)) };
}

/** How long to wait after the `failures`-th failure in a row (1 for the first). */
export function retryDelayMs(failures: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.max(0, failures - 1));
}

/** `30d` or `72h` in milliseconds (the CRD allows only these forms). */
export function parseMaxAge(text: string): number {
  const match = /^([0-9]+)(h|d)$/.exec(text);
  if (match === null) throw new ScheduleError(`retention.maxAge "${text}" is not a number of hours or days, e.g. 72h or 30d`);
  return Number(match[1]) * (match[2] === 'd' ? DAY_MS : HOUR_MS);
}

/** The folder of a cluster's backups in its bucket: `<prefix><cluster>/`. */
export function backupFolder(prefix: string | undefined, cluster: string): string {
  return `${prefix ?? ''}${cluster}/`;
}

/** `<prefix><cluster>/<UTC time, to the second>-r<revision>.snapshot`, which sorts by time. */
export function backupKey(prefix: string | undefined, cluster: string, takenAtMs: number, revision: number): string {
  const stamp = new Date(takenAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  return `${backupFolder(prefix, cluster)}${stamp}-r${revision}.snapshot`;
}

const BACKUP_NAME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-r(\d+)\.snapshot$/;

/** The time and revision a backup's key names; undefined for any other object (a user's file, an upload under way). */
export function parseBackupKey(key: string): { readonly takenAtMs: number; readonly revision: number } | undefined {
  const match = BACKUP_NAME.exec(key.slice(key.lastIndexOf('/') + 1));
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, revision] = match.map(Number);
  return { takenAtMs: Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second), revision: revision ?? 0 };
}

export interface Retention {
  /** How many of the newest backups are kept. */
  readonly count: number;
  /** Backups older than this are deleted, whatever their number. */
  readonly maxAgeMs?: number;
}

/**
 * The keys retention deletes among `keys` (a listing of the cluster's `folder`): every backup past
 * the newest `count`, and every one older than `maxAgeMs`. Only objects named as backups and
 * directly in the folder are candidates (a deeper one may be another cluster's, whose prefix ends
 * where ours does), and `justWritten` never is, so retention never leaves the cluster with none.
 */
export function backupsToDelete(keys: readonly string[], folder: string, retention: Retention, nowMs: number, justWritten: string): string[] {
  const backups = keys.flatMap((key) => {
    const parsed = key.startsWith(folder) && !key.slice(folder.length).includes('/') ? parseBackupKey(key) : undefined;
    return parsed === undefined ? [] : [{ key, takenAtMs: parsed.takenAtMs }];
  }).sort((a, b) => b.takenAtMs - a.takenAtMs || b.key.localeCompare(a.key));
  return backups.filter((backup, rank) => backup.key !== justWritten
    && (rank >= retention.count || (retention.maxAgeMs !== undefined && nowMs - backup.takenAtMs > retention.maxAgeMs)))
    .map((backup) => backup.key);
}

/** The newest backup among `keys`, for a restore that names none. */
export function newestBackup(keys: readonly string[]): string | undefined {
  return keys.filter((key) => parseBackupKey(key) !== undefined)
    .sort((a, b) => (parseBackupKey(b)?.takenAtMs ?? 0) - (parseBackupKey(a)?.takenAtMs ?? 0) || b.localeCompare(a))[0];
}

/**
 * The member to take a backup from: none without a ready leader; a ready follower when there is
 * one (the most caught up), so the leader's disk and network serve the clients; else the leader.
 */
export function backupSource(observation: ClusterObservation): string | undefined {
  const members = observation.members ?? [];
  const leader = members.find((member) => member.name === observation.leader);
  if (leader?.status?.ready !== true) return undefined;
  const followers = members.filter((member) => !member.isLearner && member.name !== leader.name && member.status?.ready === true && member.pod?.ready === true);
  const [best] = followers.sort((a, b) => (b.status?.appliedIndex ?? 0) - (a.status?.appliedIndex ?? 0) || a.name.localeCompare(b.name));
  return best?.name ?? leader.name;
}
