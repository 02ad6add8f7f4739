// Scheduled backups, taken beside the passes rather than in them: a pass asks whether a backup
// is due and, if so, starts one and goes on, so membership steps never wait for a backup to
// stream. At most one backup per cluster runs at a time, only while the cluster has a ready
// leader, and never before a cluster made from a backup has restored it.
//
// A backup streams a ready member's Backup API to the bucket (s3-bucket.ts), applies retention
// and then writes status.lastBackup. When it is due comes from status.lastBackup and the
// schedule (backup-schedule.ts), so a restarted operator knows it without any memory of its own;
// what is kept here only bridges the moments before the informer delivers a status this
// operator wrote, and spaces out retries (10 s doubling to 5 min). A failure, a missing Secret
// included, is an outcome reported in BackupFailing and a Warning Event, never a failed pass.

import type { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { Logger } from '../../src/observability/logger.js';
import { backupFolder, backupKey, backupSource, backupsToDelete, backupTiming, parseMaxAge, parseSchedule, retryDelayMs, ScheduleError, type Retention } from './backup-schedule.js';
import { condition } from './cluster-status.js';
import type { EventRecorder } from './events.js';
import { awaitsRestore, type BackupSpec, type KVCluster, type KVClusterCondition, type LastBackup } from './kvcluster.js';
import { patchStatus } from './merge-patch.js';
import type { MemberApi } from './member-api.js';
import type { ObservedCluster } from './observe.js';
import type { OperatorMetrics } from './operator-metrics.js';
import { BackupBucket, CredentialsMissingError, METADATA } from './s3-bucket.js';

/** A backup that has not finished in an hour is abandoned and tried again. */
const BACKUP_TIMEOUT_MS = 60 * 60_000;
const DEFAULT_RETENTION_COUNT = 7;

export interface BackupsParts {
  readonly core: CoreV1Api;
  readonly customObjects: CustomObjectsApi;
  readonly events: EventRecorder;
  readonly metrics: OperatorMetrics;
  readonly logger: Logger;
}

interface Outcome {
  readonly failing: boolean;
  readonly reason: string;
  readonly message: string;
}

interface ClusterBackups {
  running?: { readonly abort: AbortController; readonly done: Promise<void> };
  /** Failures in a row; 0 after a success. */
  failures: number;
  /** No attempt before this time. */
  retryAtMs: number;
  /** When this operator's last backup of the cluster finished. */
  lastSuccessMs?: number;
  /** The last attempt's outcome, for BackupFailing. */
  outcome?: Outcome;
}

export class Backups {
  private readonly byCluster = new Map<string, ClusterBackups>();
  private finished: (cluster: KVCluster) => void = () => undefined;

  constructor(private readonly parts: BackupsParts) {}

  /** Called when a backup ends, so the next pass writes its outcome into the conditions at once. */
  onFinished(listener: (cluster: KVCluster) => void): void {
    this.finished = listener;
  }

  /** Starts a backup in the background when one is due and can be taken; returns at once. */
  consider(cluster: KVCluster, observed: ObservedCluster, nowMs: number): void {
    const spec = cluster.spec.backup;
    if (spec === undefined || awaitsRestore(cluster)) return;
    const state = this.stateOf(cluster);
    if (state.running !== undefined || nowMs < state.retryAtMs) return;
    let timing;
    let retention: Retention;
    try {
      timing = backupTiming(parseSchedule(spec.schedule), lastBackupMs(cluster, state), creationMs(cluster, nowMs), nowMs);
      retention = retentionOf(spec);
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      state.outcome = { failing: true, reason: 'InvalidSchedule', message: error.message };
      return;
    }
    if (state.outcome?.reason === 'InvalidSchedule') delete state.outcome;
    if (!timing.due) return;
    const member = backupSource(observed.observation);
    const api = member === undefined ? undefined : observed.apis.get(member);
    if (member === undefined || api === undefined) return;
    const abort = new AbortController();
    const done = this.take(cluster, spec, retention, { name: member, api }, AbortSignal.any([abort.signal, AbortSignal.timeout(BACKUP_TIMEOUT_MS)]))
      .then((result) => this.succeeded(cluster, state, result), (error: unknown) => this.failed(cluster, state, error, abort.signal))
      .finally(() => {
        state.running = undefined;
        this.finished(cluster);
      });
    state.running = { abort, done };
  }

  /** BackupFailing for the status a pass writes; undefined for a cluster without backups. */
  conditionOf(cluster: KVCluster): KVClusterCondition | undefined {
    if (cluster.spec.backup === undefined) return undefined;
    const previous = cluster.status?.conditions?.find((entry) => entry.type === 'BackupFailing');
    // After a restart the status says how the last attempt went, until the next one ends.
    const outcome = this.byCluster.get(cluster.metadata.uid)?.outcome
      ?? (previous === undefined ? undefined : { failing: previous.status === 'True', reason: previous.reason, message: previous.message })
      ?? { failing: false, reason: 'NoBackupYet', message: `the first backup is taken at the first slot of "${cluster.spec.backup.schedule}" (UTC) once the cluster has a ready leader` };
    return condition('BackupFailing', outcome.failing, outcome.reason, outcome.message);
  }

  /** Stops a deleted cluster's backup and drops what is kept of it. */
  forget(cluster: KVCluster): void {
    this.byCluster.get(cluster.metadata.uid)?.running?.abort.abort();
    this.byCluster.delete(cluster.metadata.uid);
  }

  /** Stops every backup under way (an upload stopped part-way leaves no backup) and waits for them to end. */
  async stop(): Promise<void> {
    const running = [...this.byCluster.values()].flatMap((state) => (state.running === undefined ? [] : [state.running]));
    for (const backup of running) backup.abort.abort();
    await Promise.all(running.map((backup) => backup.done));
  }

  private stateOf(cluster: KVCluster): ClusterBackups {
    let state = this.byCluster.get(cluster.metadata.uid);
    if (state === undefined) {
      state = { failures: 0, retryAtMs: 0 };
      this.byCluster.set(cluster.metadata.uid, state);
    }
    return state;
  }

  private async take(cluster: KVCluster, spec: BackupSpec, retention: Retention, member: { name: string; api: MemberApi }, signal: AbortSignal): Promise<{ lastBackup: LastBackup; deleted: string[] }> {
    const { namespace, name } = cluster.metadata;
    const bucket = await BackupBucket.open(this.parts.core, namespace, spec.s3);
    try {
      const startedAtMs = Date.now();
      const { revision, clusterId } = await member.api.status();
      const key = backupKey(spec.s3.prefix, name, startedAtMs, revision);
      const metadata = { [METADATA.revision]: String(revision), [METADATA.cluster]: name, [METADATA.namespace]: namespace, [METADATA.clusterId]: clusterId, [METADATA.member]: member.name };
      const uploaded = await bucket.upload(key, await member.api.backup(signal), metadata, signal);
      // The new backup is whole in the bucket: older ones can go before it is recorded. Recorded
      // last, lastBackup says that the backup and its retention are done.
      const deleted = await this.applyRetention(bucket, cluster, spec, retention, key).catch(async (error: unknown) => {
        await this.parts.events.record(cluster, 'Warning', 'RetentionFailed', `old backups were not deleted: ${(error as Error).message}`).catch(() => undefined);
        return [];
      });
      const lastBackup: LastBackup = { time: new Date().toISOString(), revision, sizeBytes: uploaded.sizeBytes, location: bucket.locationOf(key) };
      await patchStatus(this.parts.customObjects, cluster, { lastBackup });
      return { lastBackup, deleted };
    } finally {
      bucket.destroy();
    }
  }

  /** Deletes what retention selects among this cluster's backups, checking each is this namespace's cluster's. */
  private async applyRetention(bucket: BackupBucket, cluster: KVCluster, spec: BackupSpec, retention: Retention, justWritten: string): Promise<string[]> {
    const folder = backupFolder(spec.s3.prefix, cluster.metadata.name);
    const candidates = backupsToDelete(await bucket.list(folder), folder, retention, Date.now(), justWritten);
    const deleted: string[] = [];
    for (const key of candidates) {
      // A cluster of the same name in another namespace writing to the same folder keeps its backups.
      const object = await bucket.describe(key);
      if (object === undefined || object.metadata[METADATA.namespace] !== cluster.metadata.namespace) continue;
      await bucket.delete(key);
      deleted.push(key);
    }
    return deleted;
  }

  private async succeeded(cluster: KVCluster, state: ClusterBackups, result: { lastBackup: LastBackup; deleted: string[] }): Promise<void> {
    const { lastBackup, deleted } = result;
    const { namespace, name } = cluster.metadata;
    state.failures = 0;
    state.retryAtMs = 0;
    state.lastSuccessMs = Date.parse(lastBackup.time);
    const message = `backed up revision ${lastBackup.revision} to ${lastBackup.location} (${lastBackup.sizeBytes} bytes)${deleted.length === 0 ? '' : `; retention deleted ${deleted.length} older backup${deleted.length === 1 ? '' : 's'}`}`;
    state.outcome = { failing: false, reason: 'BackupSucceeded', message };
    this.parts.metrics.backups.inc({ namespace, cluster: name, result: 'succeeded' });
    this.parts.metrics.lastBackupTime.set({ namespace, cluster: name }, state.lastSuccessMs / 1000);
    this.parts.logger.info({ namespace, cluster: name, location: lastBackup.location, sizeBytes: lastBackup.sizeBytes, deleted }, 'backup taken');
    await this.parts.events.record(cluster, 'Normal', 'BackupSucceeded', message).catch(() => undefined);
  }

  private async failed(cluster: KVCluster, state: ClusterBackups, error: unknown, stopped: AbortSignal): Promise<void> {
    // Stopped by the operator (shutdown, cluster deleted): not the cluster's failure.
    if (stopped.aborted) return;
    const { namespace, name } = cluster.metadata;
    state.failures += 1;
    const delayMs = retryDelayMs(state.failures);
    state.retryAtMs = Date.now() + delayMs;
    const reason = error instanceof CredentialsMissingError ? 'CredentialsMissing' : 'BackupFailed';
    const message = `${(error as Error).message}; trying again in ${Math.round(delayMs / 1000)} s`;
    state.outcome = { failing: true, reason, message };
    this.parts.metrics.backups.inc({ namespace, cluster: name, result: 'failed' });
    this.parts.logger.warn({ namespace, cluster: name, err: error, failures: state.failures }, 'backup failed');
    await this.parts.events.record(cluster, 'Warning', reason, message).catch(() => undefined);
  }
}

function retentionOf(spec: BackupSpec): Retention {
  const maxAge = spec.retention?.maxAge;
  return { count: spec.retention?.count ?? DEFAULT_RETENTION_COUNT, ...(maxAge === undefined ? {} : { maxAgeMs: parseMaxAge(maxAge) }) };
}

/** The later of the status's last backup and this operator's own, which the informer may not have delivered yet. */
function lastBackupMs(cluster: KVCluster, state: ClusterBackups): number | undefined {
  const recorded = cluster.status?.lastBackup === undefined ? undefined : Date.parse(cluster.status.lastBackup.time);
  const known = [recorded, state.lastSuccessMs].filter((time): time is number => time !== undefined && Number.isFinite(time));
  return known.length === 0 ? undefined : Math.max(...known);
}

function creationMs(cluster: KVCluster, nowMs: number): number {
  const created = cluster.metadata.creationTimestamp === undefined ? Number.NaN : new Date(cluster.metadata.creationTimestamp).getTime();
  return Number.isFinite(created) ? created : nowMs;
}
