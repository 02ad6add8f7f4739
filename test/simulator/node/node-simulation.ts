// One seed of the node simulator: three RaftKvNodes (the production node: Ready loop, WAL,
// MVCC apply, ReadIndex, snapshots) on simulated disks, a simulated network and one virtual
// clock, with clients writing and reading while faults are injected. Then the network heals,
// every member restarts (sometimes after all crashed at once), and the final reads and the
// whole history are checked. Everything comes from the seed, so a failing seed replays exactly.

import { createHash } from 'node:crypto';
import { SeededRandom } from '../../../src/raft/random.js';
import { StateType, type Message } from '../../../src/raft/types.js';
import { memberIdOf } from '../../../src/node/identity.js';
import { SimulationViolation } from '../safety-checker.js';
import { between, chance } from '../simulation-random.js';
import { FaultInjector, type FaultCounts } from './node-faults.js';
import { checkHistory, NodeChecks } from './node-checks.js';
import type { NodeModule } from './node-module.js';
import { Workload, type WorkloadCounts } from './node-workload.js';
import { SimulatedMember, type MemberWorld } from './simulated-member.js';
import { SimulatedPeerNetwork } from './simulated-peer-network.js';
import { VirtualTime, settle } from './virtual-time.js';

const MEMBER_NAMES = ['n1', 'n2', 'n3'] as const;
const CLIENTS = 3;
/** Faults and clients run this long; then the cluster heals and settles. */
const FAULT_PHASE_MS = 4_000;
const SETTLE_MS = 1_500;
const FINAL_READS_MS_MAX = 3_000;
const OBSERVE_EVERY_MS = 20;
const CRASH_ALL_PROBABILITY = 0.3;
/** Some seeds run on a network whose delays reach half an election timeout: requests stay in flight across crashes. */
const SLOW_NETWORK_PROBABILITY = 0.25;

export interface NodeSimulationStats extends FaultCounts, WorkloadCounts {
  elections: number;
  fsyncsStalled: number;
  snapshotsSent: number;
}

export interface NodeSimulationResult {
  readonly seed: number;
  readonly violation: { readonly property: string; readonly detail: string; readonly atMs: number } | null;
  readonly stats: NodeSimulationStats;
  /** Every fault and the end state, one line each: two runs of a seed give the same trace. */
  readonly trace: readonly string[];
}

export async function runNodeSimulation(nodeModule: NodeModule, seed: number): Promise<NodeSimulationResult> {
  const time = new VirtualTime();
  const random = new SeededRandom(seed);
  const trace: string[] = [];
  const delayMsMax = chance(random, SLOW_NETWORK_PROBABILITY) ? between(random, 30, 45) : between(random, 5, 25);
  let violation: SimulationViolation | undefined;
  const checks = new NodeChecks(MEMBER_NAMES.map((name) => memberIdOf(name)));
  const observeSent = (message: Message): void => {
    try {
      checks.observeSent(message);
    } catch (error) {
      violation ??= asViolation(error);
    }
  };
  const network = new SimulatedPeerNetwork(time, random, { delayMsMin: 1, delayMsMax, dropRate: chance(random, 0.5) ? random.nextFloat() * 0.05 : 0 }, observeSent);
  const fail = (property: string, member: SimulatedMember, error: unknown): void => {
    violation ??= new SimulationViolation(property, `${member.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  };
  const world: MemberWorld = {
    time,
    random,
    network,
    nodeModule,
    initialMembers: MEMBER_NAMES.map((name) => ({ name, peerAddress: `sim://${name}` })),
    diskLatency: { writeMsMax: 1, fsyncMsMin: 1, fsyncMsMax: 1 + random.nextInt(10) },
    onFatal: (member, error) => fail('node-failure', member, error),
    onOpenFailed: (member, error) => fail('restart-refused', member, error),
  };
  const members = MEMBER_NAMES.map((name) => new SimulatedMember(name, world));
  const faults = new FaultInjector(time, random, network, members, (line) => trace.push(line));
  const workload = new Workload(time, random, members);
  const afterEachEvent = async (): Promise<void> => {
    await settle();
    try {
      checks.observeLeaders(members);
    } catch (error) {
      violation ??= asViolation(error);
    }
  };
  const runUntil = async (untilMs: number): Promise<void> => {
    let nextObservationMs = time.nowMs;
    while (time.nowMs < untilMs && violation === undefined) {
      nextObservationMs += OBSERVE_EVERY_MS;
      await time.runUntil(Math.min(untilMs, nextObservationMs), afterEachEvent);
      await checks.observeStates(members).catch((error: unknown) => (violation ??= asViolation(error)));
    }
  };

  for (const member of members) member.start();
  for (let client = 0; client < CLIENTS; client++) void workload.client(FAULT_PHASE_MS);
  void faults.run(FAULT_PHASE_MS);
  await runUntil(FAULT_PHASE_MS);
  if (chance(random, CRASH_ALL_PROBABILITY)) {
    trace.push(`${time.nowMs} crash every member`);
    faults.crashAll();
  }
  faults.healAll();
  await runUntil(FAULT_PHASE_MS + SETTLE_MS);
  const finalReadsDeadlineMs = time.nowMs + FINAL_READS_MS_MAX;
  let finalReadsDone: boolean | undefined;
  void workload.finalReads(finalReadsDeadlineMs).then((done) => (finalReadsDone = done));
  while (finalReadsDone === undefined && violation === undefined) await runUntil(time.nowMs + OBSERVE_EVERY_MS);
  if (violation === undefined && finalReadsDone === false) {
    violation = new SimulationViolation('liveness', `the healed cluster served no linearizable read within ${FINAL_READS_MS_MAX} ms`);
  }
  if (violation === undefined) {
    try {
      checkHistory(workload.events);
    } catch (error) {
      violation = asViolation(error);
    }
  }
  const historyDigest = createHash('sha256').update(JSON.stringify(workload.events)).digest('hex').slice(0, 16);
  trace.push(`${time.nowMs} end: ${workload.events.length} history events (digest ${historyDigest}), elections ${checks.elections}`);
  for (const member of members) trace.push(`${member.name}: ${await describeState(member)}`);
  const stats: NodeSimulationStats = {
    ...faults.counts,
    ...workload.counts,
    elections: checks.elections,
    fsyncsStalled: members.reduce((total, member) => total + member.disk.fsyncsStalled, 0),
    snapshotsSent: network.snapshotsSent,
  };
  const reported = violation === undefined ? null : { property: violation.property, detail: violation.detail, atMs: time.nowMs };
  return { seed, violation: reported, stats, trace };
}

async function describeState(member: SimulatedMember): Promise<string> {
  const node = member.node;
  if (node === undefined) return 'down';
  try {
    const status = await node.status();
    const role = `${status.role === StateType.Leader ? 'leader' : `following ${status.leaderId}`}`;
    const log = `commit ${status.commitIndex}, last ${status.lastIndex}, applied ${status.appliedIndex}`;
    return `term ${status.term}, ${role}, ${log}, revision ${status.revision}, state ${(await node.hash()).slice(0, 16)}`;
  } catch (error) {
    return `stopped (${(error as Error).message})`;
  }
}

function asViolation(error: unknown): SimulationViolation {
  if (error instanceof SimulationViolation) return error;
  throw error;
}
