// Everything checked after the faults ended and the cluster healed: the store's final
// revision, the watchers brought up to it, the full event log read from revision 1, and each
// check over the recorded history.
import { connect } from '../../../src/client/index.js';
import { waitFor } from '../../cluster/cluster-harness.js';
import type { RecordedOperation } from '../workload/recorded-operation.js';
import { sharedKey } from '../workload/choose-operation.js';
import type { CheckOutcome } from './check-outcome.js';
import { checkConvergence } from './convergence-check.js';
import { type LoggedEvent, readEventLog } from './event-log.js';
import { checkMvccStore, checkRegisters, type LinearizabilityOptions } from './linearizability-checks.js';
import { checkLostWrites } from './lost-writes-check.js';
import { checkWatches } from './watch-checks.js';
import type { WatchRecorder } from './watch-recorder.js';

export interface CheckRunOptions extends LinearizabilityOptions {
  /** How long watchers, the event log and lagging members get to catch up after healing. */
  readonly catchUpTimeoutMs: number;
}

export interface CheckedRun {
  readonly finalRevision: number;
  readonly eventLog: readonly LoggedEvent[];
  readonly checks: readonly CheckOutcome[];
}

/** The store's revision now, from a linearizable read (a status call may be served by a lagging member). */
async function currentRevision(endpoints: readonly string[], timeoutMs: number): Promise<number> {
  const client = connect({ endpoints, dialTimeoutMs: 1_000, requestTimeoutMs: 5_000 });
  try {
    return await waitFor('a linearizable read after healing', timeoutMs, async () => (await client.batchGet([sharedKey(0)])).revision);
  } finally {
    client.close();
  }
}

export async function checkRun(endpoints: readonly string[], operations: readonly RecordedOperation[], watchers: readonly WatchRecorder[], options: CheckRunOptions): Promise<CheckedRun> {
  const finalRevision = await currentRevision(endpoints, options.catchUpTimeoutMs);
  // A watcher that does not catch up is not waited for forever: the watch check reports what it missed.
  await waitFor('every watcher to reach the final revision', options.catchUpTimeoutMs, () => (watchers.every((watcher) => watcher.lastRevision() >= finalRevision) ? true : undefined)).catch(() => undefined);
  await Promise.all(watchers.map((watcher) => watcher.close()));
  const eventLog = await readEventLog(endpoints, finalRevision, options.catchUpTimeoutMs);
  const watcherRecords = watchers.map((watcher) => ({ watcherId: watcher.watcherId, startRevision: watcher.startRevision, events: watcher.events, restarts: watcher.restarts.length }));
  const checks = [
    checkRegisters(operations, options.registerTimeoutMs),
    checkMvccStore(operations, eventLog, options.mvccTimeoutMs),
    checkWatches(eventLog, finalRevision, watcherRecords),
    checkLostWrites(operations, eventLog),
    await checkConvergence(endpoints, eventLog, options.catchUpTimeoutMs),
  ];
  return { finalRevision, eventLog, checks };
}
