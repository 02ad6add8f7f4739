// Watch guarantees, held against the full event log read after healing: the log itself has
// one event per key per revision, no revision missing and prev_kv matching the replayed
// history; each watcher received exactly the log's events from its start revision on, in
// order, once each, with the same prev_kv.
import type { CheckOutcome } from './check-outcome.js';
import { describeEvent, type KeyVersion, type LoggedEvent, replayEventLog } from './event-log.js';

export interface WatcherRecord {
  readonly watcherId: number;
  readonly startRevision: number;
  readonly events: readonly LoggedEvent[];
  readonly restarts: number;
}

function sameVersion(a: KeyVersion | null, b: KeyVersion | null): boolean {
  return a === null || b === null ? a === b : a.value === b.value && a.modRevision === b.modRevision;
}

function sameEvent(a: LoggedEvent, b: LoggedEvent): boolean {
  return a.revision === b.revision && a.type === b.type && a.key === b.key && a.value === b.value && sameVersion(a.previous, b.previous);
}

/** Problems of the log itself, first ones first. */
export function eventLogProblems(log: readonly LoggedEvent[], finalRevision: number): string[] {
  const problems: string[] = [];
  const { previousOf } = replayEventLog(log);
  const seen = new Set<string>();
  let revision = 1;
  log.forEach((event, index) => {
    if (event.revision < revision) problems.push(`event ${index} goes back from revision ${revision}: ${describeEvent(event)}`);
    if (event.revision > revision + 1) problems.push(`no event at revision ${revision + 1}${event.revision > revision + 2 ? `..${event.revision - 1}` : ''}, yet the store's revision passed it`);
    revision = Math.max(revision, event.revision);
    const identity = `${event.revision}\u0000${event.key}`;
    if (seen.has(identity)) problems.push(`two events for one key at one revision: ${describeEvent(event)}`);
    seen.add(identity);
    const expected = previousOf[index] ?? null;
    if (!sameVersion(event.previous, expected)) problems.push(`prev_kv of ${describeEvent(event)} should be ${expected === null ? 'none' : `${expected.value}@${expected.modRevision}`}`);
  });
  if (revision < finalRevision) problems.push(`the log ends at revision ${revision}, the store is at ${finalRevision}`);
  return problems;
}

/** An event received before one of a lower revision, or the same key at one revision twice. */
function orderProblem(received: readonly LoggedEvent[]): string | undefined {
  const seen = new Set<string>();
  for (const [index, event] of received.entries()) {
    const before = received[index - 1];
    if (before !== undefined && event.revision < before.revision) return `out of order: ${describeEvent(event)} after revision ${before.revision}`;
    const identity = `${event.revision}\u0000${event.key}`;
    if (seen.has(identity)) return `delivered twice: ${describeEvent(event)}`;
    seen.add(identity);
  }
  return undefined;
}

/** The first way a watcher's events differ from the log's from its start revision, if any. */
export function watcherProblem(watcher: WatcherRecord, log: readonly LoggedEvent[]): string | undefined {
  const received = watcher.events;
  const disorder = orderProblem(received);
  if (disorder !== undefined) return disorder;
  const expected = log.filter((event) => event.revision >= watcher.startRevision);
  for (let index = 0; index < Math.max(expected.length, received.length); index++) {
    const want = expected[index];
    const got = received[index];
    if (got === undefined) return `missing ${expected.length - index} events from ${want === undefined ? '?' : describeEvent(want)} on`;
    if (want === undefined) return `an event past the end of the log: ${describeEvent(got)}`;
    if (sameEvent(got, want)) continue;
    if (got.revision === want.revision && got.key === want.key) return `wrong event: got ${describeEvent(got)}, the log has ${describeEvent(want)}`;
    return `gap: expected ${describeEvent(want)}, got ${describeEvent(got)}`;
  }
  return undefined;
}

export function checkWatches(log: readonly LoggedEvent[], finalRevision: number, watchers: readonly WatcherRecord[]): CheckOutcome {
  const started = performance.now();
  const problems = eventLogProblems(log, finalRevision).map((problem) => `event log: ${problem}`);
  for (const watcher of watchers) {
    const problem = watcherProblem(watcher, log);
    if (problem !== undefined) problems.push(`watcher ${watcher.watcherId} (from revision ${watcher.startRevision}): ${problem}`);
  }
  const delivered = watchers.reduce((sum, watcher) => sum + watcher.events.length, 0);
  const restarts = watchers.reduce((sum, watcher) => sum + watcher.restarts, 0);
  const summary = `${log.length} events up to revision ${finalRevision}; ${watchers.length} watchers received ${delivered} events, restarted ${restarts} times`;
  const detail = problems.length === 0 ? summary : `${summary}\n${problems.slice(0, 20).join('\n')}`;
  return { name: 'watch guarantees', result: problems.length === 0 ? 'ok' : 'illegal', detail, elapsedMs: performance.now() - started, mustDecide: true };
}
