// One simulated run, fully determined by its seed: a fault phase in which the network, crashes,
// membership changes, transfers and compactions hit a cluster under load, then a heal phase in
// which every fault stops and a proposal must commit on a majority within a bounded time.

import { SeededRandom } from '../../src/raft/random.js';
import { ClientWorkload } from './client-workload.js';
import { Cluster } from './cluster.js';
import type { RaftSettings } from './cluster.js';
import { FaultInjector } from './fault-injector.js';
import { chooseFaultProfile } from './fault-profile.js';
import type { TraceSink } from './message-trace.js';
import type { RaftModule } from './raft-module.js';
import { SimulationViolation } from './safety-checker.js';
import { between, chance, pick } from './simulation-random.js';
import { emptyStats } from './simulation-stats.js';
import type { SimulationStats } from './simulation-stats.js';

/** After healing, a proposal must commit on a majority within this many election timeouts. */
export const LIVENESS_ELECTION_TIMEOUTS = 50;
/** A message takes one tick each way once the network has healed. */
const ROUND_TRIP_TICKS = 2;
const SPARE_NODES = 2;
const FAULT_TICKS_MIN = 600;
const FAULT_TICKS_MAX = 1600;

export interface SimulationOptions {
  readonly seed: number;
  /** The initial number of voters; chosen from the seed (3 or 5) when absent. */
  readonly votersInitial?: number;
  readonly trace?: TraceSink | null;
}

export interface Violation {
  readonly property: string;
  readonly detail: string;
  readonly tick: number;
}

export interface SimulationResult {
  readonly seed: number;
  readonly stats: SimulationStats;
  readonly violation: Violation | null;
}

export function runSimulation(raft: RaftModule, options: SimulationOptions): SimulationResult {
  const random = new SeededRandom(options.seed);
  const settings = chooseRaftSettings(random);
  const faults = chooseFaultProfile(random);
  const votersInitial = options.votersInitial ?? pick(random, [3, 5]);
  const bootstrap = chance(random, 0.5);
  const faultTicks = between(random, FAULT_TICKS_MIN, FAULT_TICKS_MAX);
  const trace = options.trace ?? null;
  trace?.(`seed ${options.seed}: ${votersInitial} voters${bootstrap ? ' bootstrapped' : ''}, ${faultTicks} ticks of faults`);
  trace?.(`raft settings ${JSON.stringify(settings)}`);
  trace?.(`faults ${JSON.stringify(faults)}`);
  let cluster: Cluster | null = null;
  try {
    cluster = new Cluster(raft, random, settings, faults, { votersInitial, bootstrap, spares: SPARE_NODES }, trace);
    const injector = new FaultInjector(cluster);
    const workload = new ClientWorkload(cluster);
    while (cluster.tick < faultTicks) {
      injector.inject(faults);
      workload.issue(faults);
      cluster.advance();
    }
    heal(cluster, injector);
    awaitLiveness(cluster, workload);
    return { seed: options.seed, stats: cluster.stats, violation: null };
  } catch (error) {
    const violation = asViolation(error, cluster?.tick ?? 0);
    trace?.(`VIOLATION at t=${violation.tick}: ${violation.property}: ${violation.detail}`);
    return { seed: options.seed, stats: cluster?.stats ?? emptyStats(), violation };
  }
}

function chooseRaftSettings(random: SeededRandom): RaftSettings {
  const electionTicks = between(random, 6, 15);
  return {
    electionTicks,
    heartbeatTicks: between(random, 1, Math.min(3, electionTicks - 1)),
    checkQuorum: chance(random, 0.7),
    preVote: chance(random, 0.7),
    inflightMessagesMax: pick(random, [1, 2, 4, 256]),
    entriesBytesPerAppendMax: pick(random, [1, 64, 1024, 1 << 20]),
    uncommittedBytesMax: pick(random, [0, 256, 1 << 16]),
    committedBytesPerReadyMax: pick(random, [1, 128, 1 << 20]),
  };
}

/** Every fault stops; sometimes the whole cluster also restarts from disk at once. */
function heal(cluster: Cluster, injector: FaultInjector): void {
  const restartEveryone = chance(cluster.random, 0.25);
  if (restartEveryone) {
    for (const node of cluster.nodes) if (node.running()) cluster.crash(node, 'for a full cluster restart');
  }
  cluster.faults = null;
  injector.heal();
  cluster.trace?.(`t=${cluster.tick} heal: every fault stops${restartEveryone ? ', every node restarted' : ''}`);
}

/**
 * Liveness: once healed, a proposal commits on a majority of voters within a bound: 50 election
 * timeouts, plus the work queued ahead of it at healing under the slowest settings: one round
 * trip per uncommitted entry (one entry per append, one append in flight) and one tick per
 * committed entry a node has still to apply (one entry per Ready, one Ready per tick).
 */
function awaitLiveness(cluster: Cluster, workload: ClientWorkload): void {
  const electionTicks = cluster.settings.electionTicks;
  const uncommittedEntries = Math.max(0, ...cluster.nodes.map((node) => node.disk.lastIndex() - cluster.checker.committedIndex()));
  const unappliedEntries = Math.max(0, ...cluster.nodes.map((node) => node.commit - node.appliedIndex));
  const boundTicks = LIVENESS_ELECTION_TIMEOUTS * electionTicks + ROUND_TRIP_TICKS * uncommittedEntries + unappliedEntries;
  const deadline = cluster.tick + boundTicks;
  let nextRequestTick = cluster.tick;
  while (!probeAppliedOnMajority(cluster)) {
    if (cluster.tick >= deadline) {
      traceNodeStatus(cluster);
      throw new SimulationViolation(
        'liveness',
        `no proposal committed on a majority within ${boundTicks} ticks after healing (${LIVENESS_ELECTION_TIMEOUTS} election timeouts, ${uncommittedEntries} entries uncommitted and ${unappliedEntries} unapplied at healing)`,
      );
    }
    if (cluster.tick >= nextRequestTick) {
      workload.proposeProbe();
      workload.leaveJoint();
      nextRequestTick = cluster.tick + electionTicks;
    }
    cluster.advance();
  }
}

/** For a liveness failure's trace: where each node stands, and the leader's view of each follower. */
function traceNodeStatus(cluster: Cluster): void {
  if (cluster.trace === null) return;
  for (const node of cluster.nodes) {
    const status = node.raft?.status();
    if (status === undefined) {
      cluster.trace(`n${node.id}: ${node.removed ? 'removed' : 'down'}`);
      continue;
    }
    const { hardState, softState } = status;
    cluster.trace(
      `n${node.id}: ${softState.state} term=${hardState.term} lead=${softState.lead} commit=${hardState.commit} applied=${node.appliedIndex} log=${node.disk.firstIndex()}..${node.disk.lastIndex()}`,
    );
    for (const [id, progress] of status.progress) cluster.trace(`  progress of n${id}: ${JSON.stringify(progress)}`);
  }
}

function probeAppliedOnMajority(cluster: Cluster): boolean {
  const probeIndex = cluster.probeIndex;
  if (probeIndex === null) return false;
  const applied = (ids: readonly number[]): number => ids.filter((id) => cluster.nodes[id - 1]!.appliedIndex >= probeIndex).length;
  const { voters, votersOutgoing } = cluster.latestConfState;
  const majority = (ids: readonly number[]): boolean => ids.length === 0 || applied(ids) > ids.length / 2;
  return majority(voters) && majority(votersOutgoing);
}

function asViolation(error: unknown, tick: number): Violation {
  if (error instanceof SimulationViolation) return { property: error.property, detail: error.detail, tick };
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { property: 'no exceptions', detail: `the run threw: ${detail}`, tick };
}
