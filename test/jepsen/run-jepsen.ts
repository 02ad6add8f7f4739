// One fault-injection run: a real cluster, the nemesis injecting faults while the workload's
// clients and the watchers run, then healing and every check. The run directory (history,
// fault events, event log, watchers, member logs and data) is kept when a check fails, the
// run crashes, or the caller asks; otherwise it is deleted.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '../../src/raft/random.js';
import { sleep } from '../cluster/cluster-harness.js';
import { type CheckOutcome, passed } from './checks/check-outcome.js';
import { checkRun, type CheckedRun } from './checks/check-run.js';
import { WatchRecorder } from './checks/watch-recorder.js';
import { JepsenCluster } from './cluster/jepsen-cluster.js';
import { type FaultEvent, type FaultKind, Nemesis } from './faults/nemesis.js';
import { powerLoss } from './power-loss.js';
import { writeArtifacts } from './run-artifacts.js';
import { formatReport } from './jepsen-report.js';
import { type Outcome, type RecordedOperation, WORKLOAD_KINDS, type WorkloadKind } from './workload/recorded-operation.js';
import { Workload } from './workload/workload.js';

export interface JepsenOptions {
  readonly nodes: number;
  readonly timeSeconds: number;
  readonly faults: readonly FaultKind[];
  readonly seed: number;
  readonly clients: number;
  /** Keep the run directory even when every check passed. */
  readonly keep: boolean;
  /**
   * How long the cluster has to heal once the faults end, and the watchers and members each to
   * catch up before the checks; defaults suit a loaded machine. A run that only needs to see
   * a broken server fail (broken-servers.test.ts) can give up sooner.
   */
  readonly healTimeoutSeconds?: number;
  readonly onProgress?: (progress: JepsenProgress) => void;
}

export interface JepsenProgress {
  readonly phase: 'starting' | 'running' | 'healing' | 'checking';
  readonly elapsedMs: number;
  readonly totalMs: number;
  readonly counts: Readonly<Record<Outcome, number>>;
  /** The faults in effect now, described. */
  readonly activeFaults: readonly string[];
}

export type OutcomeCounts = Readonly<Record<WorkloadKind, Readonly<Record<Outcome, number>>>>;

export interface JepsenReport {
  readonly options: Omit<JepsenOptions, 'onProgress'>;
  readonly runDirectory: string;
  readonly kept: boolean;
  readonly passed: boolean;
  readonly operations: number;
  readonly outcomes: OutcomeCounts;
  readonly faultCounts: Readonly<Record<FaultKind, number>>;
  readonly finalRevision: number;
  readonly checks: readonly CheckOutcome[];
  readonly durationMs: number;
}

const KEY_COUNT = 8;
const WATCHERS = 3;
const REQUEST_TIMEOUT_MS = 5_000;
const PROGRESS_INTERVAL_MS = 500;
const FAULT_POLL_INTERVAL_MS = 250;
/** A watcher starting mid-run replays up to this many revisions of history first. */
const WATCH_REPLAY_REVISIONS_MAX = 200;
const CHECK_OPTIONS = { registerTimeoutMs: 120_000, mvccTimeoutMs: 120_000, catchUpTimeoutMs: 60_000 };

interface RunState {
  readonly workload: Workload;
  readonly watchers: WatchRecorder[];
  nemesis: Nemesis | undefined;
  /** Faults the runner injects itself: the power loss at the end. */
  readonly runnerFaultEvents: FaultEvent[];
  healing: CheckOutcome | undefined;
  checked: CheckedRun | undefined;
}

export function countOutcomes(operations: readonly RecordedOperation[]): OutcomeCounts {
  const counts = Object.fromEntries(WORKLOAD_KINDS.map((kind) => [kind, { ok: 0, fail: 0, info: 0 }])) as Record<WorkloadKind, Record<Outcome, number>>;
  for (const operation of operations) counts[operation.input.kind][operation.outcome] += 1;
  return counts;
}

/** Faults started, by kind: the nemesis's and the runner's own. */
function countFaults(kinds: readonly FaultKind[], events: readonly FaultEvent[]): Record<FaultKind, number> {
  const counts = Object.fromEntries(kinds.map((kind) => [kind, 0])) as Record<FaultKind, number>;
  for (const event of events) if (event.phase === 'start') counts[event.kind] = (counts[event.kind] ?? 0) + 1;
  return counts;
}

export async function runJepsen(options: JepsenOptions): Promise<JepsenReport> {
  const started = performance.now();
  // Hundredths of a millisecond: finer than any operation, and short in a violation report.
  const clock = (): number => Math.round((performance.now() - started) * 100) / 100;
  const randomOf = (stream: number): (() => number) => {
    const generator = new SeededRandom(options.seed * 7919 + stream);
    return () => generator.nextFloat();
  };
  const runDirectory = await mkdtemp(join(tmpdir(), 'bvault-jepsen-'));
  let cluster: JepsenCluster | undefined;
  const workload = new Workload({ clients: options.clients, keyCount: KEY_COUNT, leaseTtlSeconds: options.timeSeconds + 600, requestTimeoutMs: REQUEST_TIMEOUT_MS, random: randomOf(1), clock, endpoints: () => cluster?.clientEndpoints() ?? [] });
  const state: RunState = { workload, watchers: [], nemesis: undefined, runnerFaultEvents: [], healing: undefined, checked: undefined };
  try {
    options.onProgress?.({ phase: 'starting', elapsedMs: 0, totalMs: options.timeSeconds * 1000, counts: { ok: 0, fail: 0, info: 0 }, activeFaults: [] });
    cluster = await JepsenCluster.start({ nodes: options.nodes, runDirectory, random: randomOf(2) });
    await exercise(cluster, state, options, randomOf(3), clock);
    report(options, state, 'healing', clock);
    const patienceMs = options.healTimeoutSeconds === undefined ? undefined : options.healTimeoutSeconds * 1000;
    state.healing = await heal(cluster, patienceMs);
    report(options, state, 'checking', clock);
    state.checked = await checkRun(await leaderFirst(cluster), workload.history(), state.watchers, { ...CHECK_OPTIONS, catchUpTimeoutMs: patienceMs ?? CHECK_OPTIONS.catchUpTimeoutMs });
    const result = buildReport(options, state, runDirectory, performance.now() - started);
    await finish(cluster, runDirectory, state, result.kept, formatReport(result));
    return result;
  } catch (error) {
    const summary = `the run crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
    await finish(cluster, runDirectory, state, true, summary).catch(() => undefined);
    throw new Error(`${summary}\nrun directory kept: ${runDirectory}`, { cause: error });
  }
}

/**
 * Faults, clients and watchers for the run's duration, then (with kill and slow-disk among the
 * faults) a power loss while the clients still write; returns once the clients stopped.
 */
async function exercise(cluster: JepsenCluster, state: RunState, options: JepsenOptions, random: () => number, clock: () => number): Promise<void> {
  const stopClients = new AbortController();
  const stopFaults = new AbortController();
  const nemesis = new Nemesis(cluster, { faults: options.faults, random, clock });
  state.nemesis = nemesis;
  const clients = state.workload.run(stopClients.signal);
  const faults = nemesis.run(stopFaults.signal);
  const progress = setInterval(() => report(options, state, 'running', clock), PROGRESS_INTERVAL_MS);
  try {
    await startWatchers(cluster, state, options.timeSeconds * 1000, random);
    await untilEveryFaultStarted(nemesis, options);
    stopFaults.abort();
    await faults;
    if (options.faults.includes('kill') && options.faults.includes('slow-disk')) {
      await powerLoss(cluster, clock, (event) => state.runnerFaultEvents.push(event), () => acknowledgedWrites(state.workload.operations));
    }
  } finally {
    stopFaults.abort();
    stopClients.abort();
    clearInterval(progress);
    await Promise.all([clients, faults]);
  }
}

/** The operations that change the store; reads and lease grants do not. */
const WRITE_KINDS: ReadonlySet<WorkloadKind> = new Set(['put', 'delete', 'cas', 'txn', 'lease-put', 'lease-revoke']);

function acknowledgedWrites(operations: readonly RecordedOperation[]): number {
  let count = 0;
  for (const operation of operations) if (operation.outcome === 'ok' && WRITE_KINDS.has(operation.input.kind)) count++;
  return count;
}

/**
 * The run time is a minimum: on a loaded machine a round of every fault can take longer than
 * the run, and a run that promised a kind of fault must have injected it. Bounded by a second
 * run time, after which the caller sees a count of zero.
 */
async function untilEveryFaultStarted(nemesis: Nemesis, options: JepsenOptions): Promise<void> {
  const deadline = performance.now() + options.timeSeconds * 1000;
  const missing = (): boolean => options.faults.some((kind) => nemesis.counts()[kind] === 0);
  while (missing() && performance.now() < deadline) await sleep(FAULT_POLL_INTERVAL_MS);
}

/** The first watcher replays everything; the others join during the faults from a recent revision. Returns at the end of the run time. */
async function startWatchers(cluster: JepsenCluster, state: RunState, totalMs: number, random: () => number): Promise<void> {
  for (let watcherId = 0; watcherId < WATCHERS; watcherId++) {
    if (watcherId > 0) await sleep(totalMs / WATCHERS);
    // A loop, not Math.max(...): a long run records more operations than arguments fit on the stack.
    let latest = 1;
    for (const { output } of state.workload.operations) if (output !== undefined && 'revision' in output && output.revision > latest) latest = output.revision;
    const startRevision = watcherId === 0 ? 1 : Math.max(1, latest - Math.floor(random() * WATCH_REPLAY_REVISIONS_MAX));
    const watcher = new WatchRecorder(watcherId, startRevision, () => cluster.clientEndpoints());
    state.watchers.push(watcher);
    watcher.start();
  }
  await sleep(totalMs - (totalMs / WATCHERS) * (WATCHERS - 1));
}

/**
 * Ends every fault and waits until the cluster is whole again. A cluster that cannot heal has
 * lost something a correct one keeps (a member whose log cannot be repaired, say): that fails
 * the run as a check, and the other checks still run against the members that answer.
 */
async function heal(cluster: JepsenCluster, timeoutMs: number | undefined): Promise<CheckOutcome> {
  const started = performance.now();
  try {
    await cluster.heal(timeoutMs);
    return { name: 'cluster heals', result: 'ok', detail: 'every member ready and caught up', elapsedMs: performance.now() - started, mustDecide: true };
  } catch (error) {
    return { name: 'cluster heals', result: 'illegal', detail: `not healed\n${String(error)}`, elapsedMs: performance.now() - started, mustDecide: true };
  }
}

/** The endpoints with the leader's first, so the event log is read from the one that leads. */
async function leaderFirst(cluster: JepsenCluster): Promise<string[]> {
  const leader = await cluster.leader();
  const endpoints = cluster.clientEndpoints();
  return leader === undefined ? endpoints : [leader.grpcAddress, ...endpoints.filter((endpoint) => endpoint !== leader.grpcAddress)];
}

function faultEvents(state: RunState): FaultEvent[] {
  return [...(state.nemesis?.events ?? []), ...state.runnerFaultEvents];
}

function report(options: JepsenOptions, state: RunState, phase: JepsenProgress['phase'], clock: () => number): void {
  if (options.onProgress === undefined) return;
  const counts = { ok: 0, fail: 0, info: 0 };
  for (const operation of state.workload.operations) counts[operation.outcome] += 1;
  const active = new Map<string, string>();
  for (const event of faultEvents(state)) {
    if (event.phase === 'start') active.set(event.kind, event.description);
    else active.delete(event.kind);
  }
  options.onProgress({ phase, elapsedMs: clock(), totalMs: options.timeSeconds * 1000, counts, activeFaults: [...active.values()] });
}

function buildReport(options: JepsenOptions, state: RunState, runDirectory: string, durationMs: number): JepsenReport {
  const checks = [...(state.healing === undefined ? [] : [state.healing]), ...(state.checked?.checks ?? [])];
  const runPassed = passed(checks);
  const history = state.workload.history();
  const { onProgress: _onProgress, ...reported } = options;
  return {
    options: reported,
    runDirectory,
    kept: options.keep || !runPassed,
    passed: runPassed,
    operations: history.length,
    outcomes: countOutcomes(history),
    faultCounts: countFaults(options.faults, faultEvents(state)),
    finalRevision: state.checked?.finalRevision ?? 0,
    checks,
    durationMs,
  };
}

/** Stops the cluster; keeps the run directory with every artifact, or deletes it. */
async function finish(cluster: JepsenCluster | undefined, runDirectory: string, state: RunState, keep: boolean, summary: string): Promise<void> {
  await Promise.all(state.watchers.map((watcher) => watcher.close()));
  if (keep) {
    await writeArtifacts(runDirectory, { operations: state.workload.history(), faultEvents: faultEvents(state), eventLog: state.checked?.eventLog ?? [], watchers: state.watchers, summary });
    await cluster?.saveLogs();
  }
  await cluster?.destroy({ keepFiles: keep });
  if (!keep) await rm(runDirectory, { recursive: true, force: true });
}
