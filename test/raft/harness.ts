// A small deterministic network of RawNodes for scenario tests, in the manner of the `network`
// type of etcd's raft_test.go. Each node has its own MemoryStorage and a seeded PRNG; the
// cluster processes every Ready in the order the contract demands (persist, send, apply,
// advance) and delivers messages in FIFO order until nothing moves. Faults are drop rules on
// the network; every message is traced so that a failing test can print the run. On every
// Ready it checks Election Safety and State Machine Safety, whatever the scenario asserts.

import {
  EMPTY_CONF_STATE,
  MemoryStorage,
  MessageType,
  RawNode,
  SeededRandom,
  StateType,
  decodeConfChange,
  defaultConfig,
  groupId,
  logIndex,
  nodeId,
} from '../../src/raft/index.js';
import type {
  ConfChange,
  ConfChangeSingle,
  ConfState,
  Entry,
  Message,
  RaftConfig,
  RaftError,
  ReadState,
  Ready,
  Snapshot,
  SoftState,
} from '../../src/raft/index.js';
import { ConfChangeTransition, ConfChangeType, EMPTY_BYTES, EntryType } from '../../src/raft/index.js';

/** The config fields a scenario may choose; identity, storage and randomness come from the cluster. */
export type NodeSettings = Partial<Omit<RaftConfig, 'id' | 'storage' | 'random' | 'applied' | 'groupId'>>;

export interface ClusterOptions {
  /** Voters get ids 1..voters (default 3). */
  readonly voters?: number;
  /** Ids of learners in the initial membership (for example [4]). */
  readonly learners?: readonly number[];
  readonly groupId?: number;
  /** Node i draws its election timeouts from seed * 1000 + i, so a run replays exactly. */
  readonly seed?: number;
  /** Settings for every node; the library defaults (pre-vote and check-quorum on) otherwise. */
  readonly settings?: NodeSettings;
  /** Settings for single nodes, on top of `settings`. */
  readonly settingsFor?: Readonly<Record<number, NodeSettings>>;
}

export const ELECTION_TICKS = 10;
const HEARTBEAT_TICKS = 1;

/** Raft as the paper describes it: no pre-vote and no check-quorum (so no leader lease either). */
export const PAPER_RAFT: NodeSettings = { preVote: false, checkQuorum: false };

/** Large enough that no scenario is cut short by a byte limit it does not test. */
export const BYTES_UNLIMITED = Number.MAX_SAFE_INTEGER;

/** Rounds of Ready processing and delivery after which a run is declared livelocked. */
const STABILIZE_ROUNDS_MAX = 10_000;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

export const encodeText = (text: string): Uint8Array => textEncoder.encode(text);
export const decodeText = (bytes: Uint8Array): string => textDecoder.decode(bytes);

/** One applied value of the recorded state machine: the data of a non-empty Normal entry. */
export interface AppliedValue {
  readonly index: number;
  readonly text: string;
}

/** A node, its storage, and everything it handed to its application, recorded for assertions. */
export class ClusterNode {
  raw: RawNode;
  /** The state machine: applied values in log order (replaced wholesale by a snapshot). */
  values: AppliedValue[] = [];
  /** Invariant: appliedIndex <= the commit index of the last hard state this node saved. */
  appliedIndex = 0;
  /** Every committed entry applied, including no-ops and configuration changes. */
  readonly appliedEntries: Entry[] = [];
  readonly readStates: ReadState[] = [];
  readonly snapshotsInstalled: Snapshot[] = [];
  readonly softStates: SoftState[] = [];
  /** The commit index of every hard state saved, in order. */
  readonly commitHistory: number[] = [];
  /** The membership returned by every applyConfChange, in order. */
  readonly confStates: ConfState[] = [];
  readonly stepErrors: RaftError[] = [];

  constructor(
    readonly id: number,
    readonly storage: MemoryStorage,
    readonly config: RaftConfig,
  ) {
    this.raw = new RawNode(config);
  }

  texts(): string[] {
    return this.values.map((value) => value.text);
  }

  state(): StateType {
    return this.raw.status().softState.state;
  }

  term(): number {
    return this.raw.status().hardState.term;
  }

  commit(): number {
    return this.raw.status().hardState.commit;
  }
}

/** A network fault: messages it matches are dropped (and traced as such). */
export interface DropRule {
  readonly reason: string;
  readonly matches: (message: Message) => boolean;
}

export interface TraceRecord {
  readonly sequence: number;
  readonly tick: number;
  readonly message: Message;
  /** The rule that dropped the message, or why it could not be delivered; null if delivered. */
  readonly droppedBy: string | null;
}

export class Cluster {
  readonly nodes = new Map<number, ClusterNode>();
  readonly trace: TraceRecord[] = [];
  /** Ticks elapsed, counted once per call of tick() whatever the number of nodes ticked. */
  ticks = 0;
  private queue: Message[] = [];
  private rules: DropRule[] = [];
  private readonly options: ClusterOptions;
  /** Election Safety: the one node that became leader in each term. */
  private readonly leaderOfTerm = new Map<number, number>();
  /** State Machine Safety: the first entry any node applied at each index. */
  private readonly appliedAt = new Map<number, Entry>();

  constructor(options: ClusterOptions = {}) {
    this.options = options;
    const voters = Array.from({ length: options.voters ?? 3 }, (_, i) => nodeId(i + 1));
    const learners = (options.learners ?? []).map(nodeId);
    const confState: ConfState = { ...EMPTY_CONF_STATE, voters, learners };
    for (const id of [...voters, ...learners]) this.startNode(id, new MemoryStorage({ confState }));
  }

  node(id: number): ClusterNode {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`the cluster has no node ${id}`);
    return node;
  }

  ids(): number[] {
    return [...this.nodes.keys()].sort((a, b) => a - b);
  }

  /** Starts a node that joins later: it has an empty store and learns membership from a snapshot. */
  addNode(id: number): ClusterNode {
    return this.startNode(nodeId(id), new MemoryStorage());
  }

  /**
   * Restarts a node from its storage, as after a crash: whatever it had not persisted is lost,
   * and the state machine resumes from the applied index it had reached.
   */
  restart(id: number): ClusterNode {
    const node = this.node(id);
    node.raw = new RawNode({ ...node.config, applied: logIndex(node.appliedIndex) });
    return node;
  }

  private startNode(id: number, storage: MemoryStorage): ClusterNode {
    const settings = {
      electionTicks: ELECTION_TICKS,
      heartbeatTicks: HEARTBEAT_TICKS,
      ...this.options.settings,
      ...this.options.settingsFor?.[id],
    };
    const random = new SeededRandom((this.options.seed ?? 1) * 1000 + id);
    const config = defaultConfig({ id: nodeId(id), groupId: groupId(this.options.groupId ?? 0), storage, random, ...settings });
    const node = new ClusterNode(id, storage, config);
    this.nodes.set(id, node);
    return node;
  }

  /** Processes Readys and delivers messages until no node has work and no message is in flight. */
  stabilize(): void {
    for (let round = 0; round < STABILIZE_ROUNDS_MAX; round++) {
      const processed = this.processReadies();
      const delivered = this.deliverQueued();
      if (!processed && !delivered) return;
    }
    throw new Error(`the cluster did not quiesce within ${STABILIZE_ROUNDS_MAX} rounds:\n${this.formatTrace(40)}`);
  }

  /** Ticks the given nodes (all by default) `count` times, stabilizing after every tick. */
  tick(count = 1, ids: readonly number[] = this.ids()): void {
    for (let i = 0; i < count; i++) {
      this.ticks++;
      for (const id of ids) this.node(id).raw.tick();
      this.stabilize();
    }
  }

  /** Ticks until `condition` holds; returns the ticks it took, or throws after `ticksMax`. */
  tickUntil(condition: () => boolean, ticksMax: number, ids: readonly number[] = this.ids()): number {
    for (let elapsed = 0; elapsed <= ticksMax; elapsed++) {
      if (condition()) return elapsed;
      this.tick(1, ids);
    }
    throw new Error(`condition still false after ${ticksMax} ticks:\n${this.formatTrace(40)}`);
  }

  /** Makes `id` campaign and lets the election run; throws if it did not win. */
  elect(id: number): void {
    this.node(id).raw.campaign();
    this.stabilize();
    if (this.node(id).state() !== StateType.Leader) {
      throw new Error(`node ${id} campaigned but is ${this.node(id).state()}:\n${this.formatTrace(40)}`);
    }
  }

  propose(id: number, text: string): RaftError | null {
    return this.node(id).raw.propose(encodeText(text));
  }

  /** The node's log entries in [lo, lastIndex], from its storage (what it persisted). */
  persistedEntries(id: number, lo: number = this.node(id).storage.firstIndex()): Entry[] {
    const storage = this.node(id).storage;
    return storage.entries(logIndex(lo), logIndex(storage.lastIndex() + 1), BYTES_UNLIMITED);
  }

  /** Hands a message to its recipient as the network would, tracing it; returns the step result. */
  deliver(message: Message): RaftError | null {
    const recipient = this.nodes.get(message.to);
    this.record(message, recipient ? null : 'no such node');
    if (!recipient) return null;
    const error = recipient.raw.step(message);
    if (error) recipient.stepErrors.push(error);
    if (message.type === MessageType.Snapshot) this.nodes.get(message.from)?.raw.reportSnapshot(message.to, true);
    return error;
  }

  /**
   * Snapshots the node's state machine at its applied index and compacts its log there, as an
   * application does to bound its log.
   */
  compact(id: number): Snapshot {
    const node = this.node(id);
    const index = logIndex(node.appliedIndex);
    const data = encodeText(JSON.stringify(node.values));
    const snapshot = node.storage.createSnapshot(index, node.raw.status().confState, data);
    node.storage.compact(index);
    return snapshot;
  }

  /** The leader of the highest term, if any; two leaders in one term is a safety violation. */
  leader(): number | undefined {
    let found: { id: number; term: number } | undefined;
    for (const node of this.nodes.values()) {
      if (node.state() !== StateType.Leader) continue;
      if (found && found.term === node.term()) throw new Error(`two leaders in term ${found.term}: ${found.id} and ${node.id}`);
      if (!found || node.term() > found.term) found = { id: node.id, term: node.term() };
    }
    return found?.id;
  }

  // Network faults.

  drop(reason: string, matches: (message: Message) => boolean): DropRule {
    const rule = { reason, matches };
    this.rules.push(rule);
    return rule;
  }

  isolate(id: number): DropRule {
    return this.drop(`isolate ${id}`, (m) => m.from === id || m.to === id);
  }

  cut(a: number, b: number): DropRule {
    return this.drop(`cut ${a}-${b}`, (m) => (m.from === a && m.to === b) || (m.from === b && m.to === a));
  }

  cutOneWay(from: number, to: number): DropRule {
    return this.drop(`cut ${from}->${to}`, (m) => m.from === from && m.to === to);
  }

  dropTypes(...types: MessageType[]): DropRule {
    return this.drop(`drop ${types.map((type) => MessageType[type]).join(',')}`, (m) => types.includes(m.type));
  }

  /** Removes one rule, or every rule when none is named. */
  heal(rule?: DropRule): void {
    this.rules = rule ? this.rules.filter((r) => r !== rule) : [];
  }

  // Observation.

  /** Messages that were handed to the network (delivered or dropped) matching the filter. */
  sent(filter: { readonly type?: MessageType; readonly from?: number; readonly to?: number } = {}): Message[] {
    const wanted = (m: Message): boolean =>
      (filter.type === undefined || m.type === filter.type) &&
      (filter.from === undefined || m.from === filter.from) &&
      (filter.to === undefined || m.to === filter.to);
    return this.trace.map((record) => record.message).filter(wanted);
  }

  /** The last `limit` trace lines (all by default), one message per line. */
  formatTrace(limit = Infinity): string {
    const records = Number.isFinite(limit) ? this.trace.slice(-limit) : this.trace;
    return records.map(formatRecord).join('\n');
  }

  printTrace(limit = Infinity): void {
    console.log(this.formatTrace(limit));
  }

  private record(message: Message, droppedBy: string | null): void {
    this.trace.push({ sequence: this.trace.length + 1, tick: this.ticks, message, droppedBy });
  }

  private processReadies(): boolean {
    let processed = false;
    for (const id of this.ids()) {
      const node = this.node(id);
      if (!node.raw.hasReady()) continue;
      this.handleReady(node, node.raw.ready());
      processed = true;
    }
    return processed;
  }

  /** The contract order: persist, send, apply, advance. */
  private handleReady(node: ClusterNode, ready: Ready): void {
    if (ready.snapshot) node.storage.applySnapshot(ready.snapshot);
    node.storage.append(ready.entries);
    if (ready.hardState) {
      node.storage.setHardState(ready.hardState);
      node.commitHistory.push(ready.hardState.commit);
    }
    if (ready.softState) {
      node.softStates.push(ready.softState);
      if (ready.softState.state === StateType.Leader) this.checkElectionSafety(node);
    }
    this.queue.push(...ready.messages, ...ready.messagesAfterPersist);
    if (ready.snapshot) restoreStateMachine(node, ready.snapshot);
    for (const entry of ready.committedEntries) {
      this.checkStateMachineSafety(node, entry);
      applyEntry(node, entry);
    }
    node.readStates.push(...ready.readStates);
    node.raw.advance(ready);
  }

  // Safety properties of the paper's Figure 3, checked on every Ready of every scenario.

  private checkElectionSafety(node: ClusterNode): void {
    const leaderTerm = node.term();
    const earlier = this.leaderOfTerm.get(leaderTerm);
    if (earlier !== undefined && earlier !== node.id) {
      throw new Error(`election safety violated: ${earlier} and ${node.id} both led term ${leaderTerm}`);
    }
    this.leaderOfTerm.set(leaderTerm, node.id);
  }

  private checkStateMachineSafety(node: ClusterNode, entry: Entry): void {
    const first = this.appliedAt.get(entry.index);
    if (first === undefined) {
      this.appliedAt.set(entry.index, entry);
    } else if (first.term !== entry.term || decodeText(first.data) !== decodeText(entry.data)) {
      throw new Error(`state machine safety violated: node ${node.id} applied ${entry.index}@${entry.term}, another ${first.index}@${first.term}`);
    }
  }

  private deliverQueued(): boolean {
    if (this.queue.length === 0) return false;
    const batch = this.queue;
    this.queue = [];
    for (const message of batch) {
      // A node's message to itself never crosses the network: no fault rule applies to it.
      const rule = message.from === message.to ? undefined : this.rules.find((r) => r.matches(message));
      if (!rule) {
        this.deliver(message);
        continue;
      }
      this.record(message, rule.reason);
      // The transport tells the sender that a snapshot did not arrive, as etcd's does.
      if (message.type === MessageType.Snapshot) this.nodes.get(message.from)?.raw.reportSnapshot(message.to, false);
    }
    return true;
  }
}

function restoreStateMachine(node: ClusterNode, snapshot: Snapshot): void {
  node.values = JSON.parse(decodeText(snapshot.data)) as AppliedValue[];
  node.appliedIndex = snapshot.metadata.index;
  node.snapshotsInstalled.push(snapshot);
}

function applyEntry(node: ClusterNode, entry: Entry): void {
  if (entry.index !== node.appliedIndex + 1) {
    throw new Error(`node ${node.id} applies entry ${entry.index} after ${node.appliedIndex}: committed entries must be contiguous`);
  }
  if (entry.type === EntryType.ConfChange) {
    node.confStates.push(node.raw.applyConfChange(decodeConfChange(entry.data)));
  } else if (entry.data.byteLength > 0) {
    node.values.push({ index: entry.index, text: decodeText(entry.data) });
  }
  node.appliedEntries.push(entry);
  node.appliedIndex = entry.index;
}

function formatRecord(record: TraceRecord): string {
  const m = record.message;
  const entries = m.entries.map((e) => `${e.index}@${e.term}`).join(',');
  const fields = [
    `#${record.sequence} t=${record.tick} ${MessageType[m.type]} ${m.from}->${m.to}`,
    `term=${m.term} index=${m.index} logTerm=${m.logTerm} commit=${m.commit}`,
    entries ? `entries=[${entries}]` : '',
    m.reject ? `reject hint=${m.rejectHint}` : '',
    m.snapshot ? `snapshot=${m.snapshot.metadata.index}@${m.snapshot.metadata.term}` : '',
    record.droppedBy ? `DROPPED (${record.droppedBy})` : '',
  ];
  return fields.filter((field) => field !== '').join(' ');
}

export function confChange(transition: ConfChangeTransition, ...changes: ConfChangeSingle[]): ConfChange {
  return { transition, changes, context: EMPTY_BYTES };
}

export const addVoter = (id: number): ConfChangeSingle => ({ type: ConfChangeType.AddNode, nodeId: nodeId(id) });
export const addLearner = (id: number): ConfChangeSingle => ({ type: ConfChangeType.AddLearnerNode, nodeId: nodeId(id) });
export const removeNode = (id: number): ConfChangeSingle => ({ type: ConfChangeType.RemoveNode, nodeId: nodeId(id) });

/** The empty change that leaves a joint configuration entered with JointExplicit. */
export const LEAVE_JOINT: ConfChange = confChange(ConfChangeTransition.JointExplicit);
