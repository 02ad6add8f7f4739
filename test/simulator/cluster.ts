// The simulated cluster: nodes, the network between them and the clock. Each tick the due
// messages are delivered, every running node ticks, and every node's Ready is processed.

import { defaultConfig } from '../../src/raft/config.js';
import { SeededRandom } from '../../src/raft/random.js';
import { EMPTY_CONF_STATE, MessageType, StateType, groupId, logIndex, nodeId } from '../../src/raft/types.js';
import type { ConfState, Message } from '../../src/raft/types.js';
import type { FaultProfile } from './fault-profile.js';
import { describeConfState, describeMessage } from './message-trace.js';
import type { TraceSink } from './message-trace.js';
import type { RaftModule, RaftNode } from './raft-module.js';
import { processReady } from './ready-processing.js';
import { SafetyChecker, SimulationViolation } from './safety-checker.js';
import { SimulatedNetwork } from './simulated-network.js';
import type { InFlightMessage } from './simulated-network.js';
import { SimulatedNode } from './simulated-node.js';
import { between, chance } from './simulation-random.js';
import { emptyStats } from './simulation-stats.js';

export const SIMULATED_GROUP = groupId(7);

/** The core's tunables for one seed; small limits make the flow control paths run. */
export interface RaftSettings {
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly inflightMessagesMax: number;
  readonly entriesBytesPerAppendMax: number;
  readonly uncommittedBytesMax: number;
  readonly committedBytesPerReadyMax: number;
}

export interface ClusterShape {
  readonly votersInitial: number;
  /**
   * How the initial voters learn the membership: by RawNode.bootstrap (a ConfChange at index 1,
   * so a joining node learns it from the log), or from a ConfState on disk at index 0 (so a
   * joining node must learn it from a snapshot).
   */
  readonly bootstrap: boolean;
  /** Nodes that start outside the membership and can be added later. */
  readonly spares: number;
}

export class Cluster {
  /** nodes[id - 1]; ids are never reused, a removed node stays removed. */
  readonly nodes: SimulatedNode[];
  readonly checker = new SafetyChecker();
  readonly stats = emptyStats();
  readonly network: SimulatedNetwork;
  tick = 0;
  /** The faults in force, or null once the cluster has healed. */
  faults: FaultProfile | null;
  /** The newest membership that any node applied, and the index of its entry. */
  latestConfState: ConfState;
  latestConfIndex = 0;
  /** The first index at which a liveness probe was applied, once one was. */
  probeIndex: number | null = null;
  /** The highest index of a client write applied by any node, so each write is counted once. */
  writesAppliedIndex = 0;
  private readonly everMembers = new Set<number>();
  private readonly removalsDue: SimulatedNode[] = [];
  /** New leaders to cut off before their first messages are delivered (see leaderIsolationRate). */
  readonly leadersToIsolate: SimulatedNode[] = [];
  readonly shape: ClusterShape;
  private transferTarget: { readonly id: number; readonly untilTick: number } | null = null;

  constructor(
    readonly raft: RaftModule,
    readonly random: SeededRandom,
    readonly settings: RaftSettings,
    faults: FaultProfile,
    shape: ClusterShape,
    readonly trace: TraceSink | null,
  ) {
    this.faults = faults;
    this.shape = shape;
    const voters = Array.from({ length: shape.votersInitial }, (_, index) => nodeId(index + 1));
    this.latestConfState = { voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
    for (const voter of voters) this.everMembers.add(voter);
    this.nodes = [];
    // A spare starts empty and learns the membership from the leader once it is added.
    for (let id = 1; id <= shape.votersInitial + shape.spares; id++) {
      const membershipOnDisk = id <= shape.votersInitial && !shape.bootstrap;
      this.nodes.push(new SimulatedNode(id, raft.createDisk(membershipOnDisk ? this.latestConfState : EMPTY_CONF_STATE)));
    }
    this.network = new SimulatedNetwork(random, this.nodes.length, faults.delayTicksMax);
    for (const node of this.nodes) this.start(node);
  }

  /** Starts (or restarts) a node from its disk alone. */
  start(node: SimulatedNode): void {
    node.restoreFromDisk();
    node.incarnation += 1;
    node.raft = this.raft.createNode(
      defaultConfig({
        ...this.settings,
        id: nodeId(node.id),
        groupId: SIMULATED_GROUP,
        storage: node.disk,
        applied: logIndex(node.appliedIndex),
        random: new SeededRandom(this.random.nextUint32()),
      }),
    );
    // An initial voter bootstraps on empty storage (again, if it crashed before persisting it).
    const initialVoter = node.id <= this.shape.votersInitial;
    if (this.shape.bootstrap && initialVoter && node.disk.lastIndex() === 0 && node.disk.firstIndex() === 1) {
      node.raft.bootstrap(this.nodes.slice(0, this.shape.votersInitial).map((initial) => nodeId(initial.id)));
    }
    this.trace?.(`t=${this.tick} start n${node.id} (life ${node.incarnation}) term=${node.term} commit=${node.commit} applied=${node.appliedIndex}`);
  }

  crash(node: SimulatedNode, when: string): void {
    node.raft = null;
    node.restartTick = this.tick + between(this.random, 1, this.faults?.downTicksMax ?? 1);
    this.stats.crashes += 1;
    this.trace?.(`t=${this.tick} crash n${node.id} ${when}; restarts at t=${node.restartTick}`);
  }

  /** One tick of virtual time. */
  advance(): void {
    this.tick += 1;
    this.stats.ticks += 1;
    for (const inFlight of this.network.takeDue(this.tick)) this.deliver(inFlight);
    for (const node of this.nodes) node.raft?.tick();
    const first = this.tick % this.nodes.length;
    for (let offset = 0; offset < this.nodes.length; offset++) {
      const node = this.nodes[(first + offset) % this.nodes.length]!;
      if (node.raft?.hasReady()) processReady(this, node, node.raft);
    }
    for (const node of this.removalsDue.splice(0)) this.remove(node);
  }

  sendAll(sender: SimulatedNode, messages: readonly Message[]): void {
    for (const message of messages) {
      if (message.type === MessageType.VoteResponse && !message.reject) {
        this.checker.voteCast(message.from, message.term, message.to);
      }
      // A node's message to itself (a leader's acknowledgement of its own durable append)
      // never crosses the network, so the network's faults do not touch it.
      const faults = message.to === message.from ? null : this.faults;
      const copies = this.network.send(this.tick, { message, senderIncarnation: sender.incarnation }, faults);
      if (copies === 0) {
        this.trace?.(`t=${this.tick} dropped ${describeMessage(message)}`);
        this.reportLoss(message, sender, sender.incarnation);
      }
    }
  }

  /** Crashes `node` part way through a Ready when the dice say so and the fault budget allows. */
  crashedInReady(node: SimulatedNode, stage: string): boolean {
    if (this.faults === null || !chance(this.random, this.faults.crashInReadyRate) || !this.mayCrash(node)) return false;
    this.stats.crashesInReady += 1;
    this.crash(node, `in a Ready ${stage}`);
    return true;
  }

  /** Whether crashing `node` keeps within this seed's budget (a minority of voters, or any). */
  mayCrash(node: SimulatedNode): boolean {
    if (this.faults === null) return false;
    const voters = this.latestConfState.voters;
    if (this.faults.crashAnyNode || !voters.includes(nodeId(node.id))) return true;
    const votersDown = voters.filter((id) => !this.nodes[id - 1]!.running()).length;
    return votersDown + 1 <= Math.floor((voters.length - 1) / 2);
  }

  /** The running node that believes it leads the highest term, if any. */
  leader(): SimulatedNode | null {
    let leader: SimulatedNode | null = null;
    for (const node of this.nodes) {
      if (node.running() && node.role === StateType.Leader && (leader === null || node.term > leader.term)) leader = node;
    }
    return leader;
  }

  leaderElected(node: SimulatedNode, term: number): void {
    if (!this.checker.leaderElected(node.id, term)) return;
    this.stats.elections += 1;
    this.trace?.(`t=${this.tick} n${node.id} becomes leader of term ${term}`);
    if (this.faults !== null && chance(this.random, this.faults.leaderIsolationRate)) this.leadersToIsolate.push(node);
    if (this.transferTarget?.id === node.id && this.tick <= this.transferTarget.untilTick) this.stats.transfers += 1;
    this.transferTarget = null;
  }

  transferRequested(targetId: number): void {
    this.transferTarget = { id: targetId, untilTick: this.tick + 2 * this.settings.electionTicks };
  }

  /** A configuration entry was applied: the newest one decides who is still a member. */
  membershipApplied(index: number, confState: ConfState): void {
    if (index <= this.latestConfIndex) return;
    this.latestConfIndex = index;
    this.latestConfState = confState;
    this.stats.confChanges += 1;
    this.trace?.(`t=${this.tick} membership at ${index}: ${describeConfState(confState)}`);
    const members = new Set<number>([...confState.voters, ...confState.votersOutgoing, ...confState.learners, ...confState.learnersNext]);
    for (const id of members) this.everMembers.add(id);
    for (const id of this.everMembers) {
      const node = this.nodes[id - 1]!;
      if (!members.has(id) && !node.removed) this.removalsDue.push(node);
    }
  }

  /** Ids that never were members and can still be added. */
  spareIds(): number[] {
    return this.nodes.filter((node) => !this.everMembers.has(node.id)).map((node) => node.id);
  }

  private deliver({ message, senderIncarnation }: InFlightMessage): void {
    const receiver = this.nodes[message.to - 1];
    if (receiver === undefined) {
      throw new SimulationViolation('well-formed messages', `n${message.from} sent ${describeMessage(message)} to a node that does not exist`);
    }
    const sender = this.nodes[message.from - 1];
    const staleSelfMessage = message.to === message.from && receiver.incarnation !== senderIncarnation;
    const lost = receiver.raft === null || staleSelfMessage || this.network.linkState(message.from, message.to) === 'cut';
    if (lost) {
      this.trace?.(`t=${this.tick} lost ${describeMessage(message)}`);
      this.reportLoss(message, sender, senderIncarnation);
      return;
    }
    this.trace?.(`t=${this.tick} deliver ${describeMessage(message)}`);
    this.stats.messages += 1;
    const error = receiver.raft!.step(message);
    if (error !== null) this.trace?.(`t=${this.tick} n${receiver.id} refused it: ${error.message}`);
    if (message.type === MessageType.Snapshot) this.senderOf(sender, senderIncarnation)?.reportSnapshot(message.to, true);
  }

  /** The transport tells the sender what it noticed: a failed snapshot, an unreachable peer. */
  private reportLoss(message: Message, sender: SimulatedNode | undefined, senderIncarnation: number): void {
    const raft = this.senderOf(sender, senderIncarnation);
    if (raft === null || message.to === message.from) return;
    if (message.type === MessageType.Snapshot) raft.reportSnapshot(message.to, false);
    else if (message.type === MessageType.Append && chance(this.random, 0.5)) raft.reportUnreachable(message.to);
  }

  private senderOf(sender: SimulatedNode | undefined, senderIncarnation: number): RaftNode | null {
    return sender !== undefined && sender.incarnation === senderIncarnation ? sender.raft : null;
  }

  /** A removed member is shut down for good, as a real server stops once it is removed. */
  private remove(node: SimulatedNode): void {
    node.removed = true;
    node.raft = null;
    this.trace?.(`t=${this.tick} n${node.id} was removed from the membership and shuts down`);
  }
}
