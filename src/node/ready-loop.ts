// The Ready loop: the only code that drives the RawNode. Ticks, peer messages, proposals,
// reads and membership actions are queued and folded into the next iteration, and iterations
// never overlap. Each Ready is handled in the order the Raft contract demands: send
// `messages`, hand the writes (snapshot, entries and hard state) to the log, restore a
// received snapshot, apply committed entries once they are durable here, answer read states,
// then advance. The loop does not wait for the fsync itself: ReadyPersistence sends
// `messagesAfterPersist` once the writes are durable, so the leader keeps proposing and
// replicating while its disk syncs (etcd's leader, likewise, sends before its own fsync).
// Among them is the leader's acknowledgement of its own append, which comes back through
// the inbox: only then does the leader count its copy toward the quorum, so a commit index it
// sends never covers an entry that fewer than a quorum of disks hold. While that append is
// being synced, the leader holds new proposals and proposes them together once it is durable,
// so that writes arriving over many connections share one round instead of one each.
//
// The inbox of peer messages is bounded: while an iteration waits for the disk, messages that
// carry entries (appends from the leader, proposals forwarded by followers) are held only up to
// `peerInboxMessagesMax` messages and `peerInboxBytesMax` entry bytes; past that they are
// dropped and counted, as Raft tolerates a lost message (the leader sends the entries again, a
// follower's forwarded write times out as etcd's does when its leader drops a proposal).
// Messages without entries (heartbeats, votes, responses) are always kept: each answers a
// message this node sent, which the transport's queues bound, or is one heartbeat per tick, and
// dropping them would starve the heartbeats that keep a leader. Local messages (the leader's
// acknowledgement of its own append) and local actions are never dropped.

import type { RecordCipher } from '../encryption/record-cipher.js';
import type { DurableLogStore, FileSystem } from '../storage/index.js';
import type { MvccStore } from '../mvcc/index.js';
import type { Logger } from '../observability/logger.js';
import type { NodeMetrics } from '../observability/metrics.js';
import type { RawNode } from '../raft/raw-node.js';
import type { HardState, Message, NodeId, Ready, Snapshot, SoftState } from '../raft/types.js';
import { MessageType, NO_NODE, StateType } from '../raft/types.js';
import { entriesDataBytes } from '../raft/entry-bytes.js';
import type { PeerTransport } from '../transport/transport.js';
import type { CommittedApplier } from './committed-applier.js';
import type { ConditionWaiters } from './condition-waiters.js';
import type { DataDirLayout } from './data-dir.js';
import { nodeErrorOfRaft } from './errors.js';
import type { MemberTable } from './member-table.js';
import type { ProposalTracker } from './proposal-tracker.js';
import type { ForwardedEntryTraces } from './proposal-trace.js';
import { admits, type QueueLimits } from './queue-limits.js';
import type { ReadIndexBatcher } from './read-index-batcher.js';
import { ReadyPersistence } from './ready-persistence.js';
import { readReceivedSnapshot, receivedSnapshotPath, removeReceivedSnapshots } from './received-snapshots.js';
import type { NodeClock } from './node-io.js';

export interface ReadyLoopParts {
  readonly id: NodeId;
  readonly rawNode: RawNode;
  readonly logStore: DurableLogStore;
  readonly mvcc: MvccStore;
  readonly transport: PeerTransport;
  readonly members: MemberTable;
  readonly applier: CommittedApplier;
  readonly proposals: ProposalTracker;
  readonly reads: ReadIndexBatcher;
  readonly waiters: ConditionWaiters;
  readonly metrics: NodeMetrics;
  readonly layout: DataDirLayout;
  readonly logger: Logger;
  readonly clock: NodeClock;
  readonly fileSystem: FileSystem;
  /** Opens received snapshots sealed at rest. */
  readonly cipher: RecordCipher;
  readonly inboxBounds: Pick<QueueLimits, 'peerInboxMessagesMax' | 'peerInboxBytesMax'>;
  /** The leader's spans for traced entries followers forwarded; set only while tracing is on. */
  readonly forwardedTraces?: ForwardedEntryTraces;
}

export interface ReadyLoopHooks {
  /** This node became (true) or stopped being (false) the leader; runs inside the loop. */
  onLeadershipChange(isLeader: boolean): Promise<void>;
  /** The membership was replaced by a snapshot. */
  onMembersReplaced(): void;
  /** Runs after each iteration's Readies (snapshot creation, for example). */
  afterIteration(): Promise<void>;
  /** Storage or the state machine failed; the node must stop. */
  onFatal(error: unknown): void;
}

/** Entries proposed in one proposeBatch call; a larger queue is split. */
const PROPOSAL_BATCH_ENTRIES_MAX = 1024;

export class ReadyLoop {
  /** Incremented per iteration; proposals remember it to tell which a term change may have dropped. */
  iteration = 0;
  lead: NodeId = NO_NODE;
  role: StateType = StateType.Follower;
  term = 0;
  commitIndex = 0;
  private pendingTicks = 0;
  /**
   * Of `pendingTicks`, those that came before the latest message from the leader. While an
   * iteration waits for a slow disk, ticks and the leader's heartbeats pile up together; the
   * ticks before the heartbeat are stepped first, then the messages, then the rest, so a
   * follower that did hear its leader does not count the whole wait as leader silence and start
   * an election.
   */
  private ticksBeforeLeaderMessage = 0;
  private inbox: Message[] = [];
  // Invariant: the messages in `inbox` that carry entries from a peer, and their entry bytes.
  private inboxEntryMessages = 0;
  private inboxEntryBytes = 0;
  private proposalData: Uint8Array[] = [];
  private proposalIds: number[] = [];
  /** The appends the queued proposals wait for: those handed to the log before the first arrived. */
  private proposalsAwait = 0;
  private actions: Array<() => void> = [];
  private scheduled = false;
  private iterating = false;
  private wakeAgain = false;
  private stopped = false;
  private current: Promise<void> = Promise.resolve();
  private fatalReported = false;
  private readonly persistence: ReadyPersistence;

  constructor(
    private readonly parts: ReadyLoopParts,
    private readonly hooks: ReadyLoopHooks,
  ) {
    this.persistence = new ReadyPersistence({
      logStore: parts.logStore,
      metrics: parts.metrics,
      send: (messages) => this.sendAfterPersist(messages),
      onFatal: (error) => this.fatal(error),
    });
    const hardState = parts.logStore.initialState().hardState;
    this.term = hardState.term;
    this.commitIndex = hardState.commit;
  }

  tick(): void {
    this.pendingTicks++;
    this.wake();
  }

  /** Messages from peers; past the inbox's bounds, those that carry entries are dropped. */
  receive(messages: readonly Message[]): void {
    for (const message of messages) {
      if (message.entries.length > 0 && !this.admitEntries(message)) continue;
      this.inbox.push(message);
      if (message.from === this.lead) this.ticksBeforeLeaderMessage = this.pendingTicks;
    }
    this.wake();
  }

  /** Messages that must not be dropped: this node's own, and a snapshot already written to disk. */
  deliver(messages: readonly Message[]): void {
    for (const message of messages) this.inbox.push(message);
    this.wake();
  }

  private admitEntries(message: Message): boolean {
    const { peerInboxMessagesMax, peerInboxBytesMax } = this.parts.inboxBounds;
    const bytes = entriesDataBytes(message.entries);
    if (admits(this.inboxEntryMessages, 1, peerInboxMessagesMax) && admits(this.inboxEntryBytes, bytes, peerInboxBytesMax)) {
      this.inboxEntryMessages++;
      this.inboxEntryBytes += bytes;
      return true;
    }
    this.parts.metrics.peerMessagesDropped.inc({ type: MessageType[message.type] ?? String(message.type) });
    return false;
  }

  propose(data: Uint8Array, requestId: number): void {
    if (this.proposalData.length === 0) this.proposalsAwait = this.persistence.appendMark;
    this.proposalData.push(data);
    this.proposalIds.push(requestId);
    this.wake();
  }

  /** Runs `action` against the RawNode at the start of the next iteration. */
  run(action: () => void): void {
    this.actions.push(action);
    this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.iterating) {
      this.wakeAgain = true;
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    this.parts.clock.soon(() => {
      this.current = this.runIterations();
    });
  }

  /** Stops taking work and waits for the running iteration and the writes it handed out. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.current;
    await this.persistence.drain().catch(() => {
      // Already reported through onFatal.
    });
  }

  private async runIterations(): Promise<void> {
    this.scheduled = false;
    if (this.stopped) return;
    this.iterating = true;
    try {
      do {
        this.wakeAgain = false;
        await this.iterate();
      } while (this.wakeAgain && !this.stopped);
    } catch (error) {
      this.fatal(error);
    } finally {
      this.iterating = false;
    }
  }

  /** Storage or the state machine failed: stop, and report it once however many writes fail. */
  private fatal(error: unknown): void {
    this.stopped = true;
    if (this.fatalReported) return;
    this.fatalReported = true;
    this.hooks.onFatal(error);
  }

  private async iterate(): Promise<void> {
    this.iteration++;
    this.drainInputs();
    const rawNode = this.parts.rawNode;
    while (rawNode.hasReady() && !this.stopped) {
      const ready = rawNode.ready();
      await this.handleReady(ready);
      rawNode.advance(ready);
    }
    this.parts.waiters.check(this.parts.clock.monotonicNowMs());
    if (!this.stopped) await this.hooks.afterIteration();
  }

  private drainInputs(): void {
    const { rawNode, logger } = this.parts;
    for (; this.ticksBeforeLeaderMessage > 0; this.ticksBeforeLeaderMessage--, this.pendingTicks--) rawNode.tick();
    const inbox = this.inbox;
    this.inbox = [];
    this.inboxEntryMessages = 0;
    this.inboxEntryBytes = 0;
    for (const message of inbox) {
      const refused = rawNode.step(message);
      if (refused !== null) logger.debug({ code: refused.code, from: message.from }, 'dropped a peer message');
    }
    for (; this.pendingTicks > 0; this.pendingTicks--) rawNode.tick();
    const actions = this.actions;
    this.actions = [];
    for (const action of actions) action();
    if (!this.holdsProposals()) this.proposeQueued();
    this.parts.reads.issue(this.parts.clock.monotonicNowMs(), (context) => {
      const refused = rawNode.readIndex(context);
      return refused === null ? null : nodeErrorOfRaft(refused);
    });
  }

  /**
   * The leader holds new proposals while the entries it had appended when the first of them
   * arrived are still being written and synced, as etcd's raft loop does by taking the next
   * Ready only once the last is saved: a write that arrives meanwhile cannot be durable here
   * before that sync ends, and proposing all that gathered at once costs every member one round
   * (appends, acknowledgements, a WAL sync, an apply batch) instead of one per turn of the event
   * loop. Appends begun later (proposals forwarded by followers) do not extend the wait, so it
   * lasts one sync at most. A lone write finds nothing in flight and is proposed at once; the
   * end of the append wakes the loop (sendAfterPersist).
   */
  private holdsProposals(): boolean {
    return this.role === StateType.Leader && !this.persistence.settledThrough(this.proposalsAwait);
  }

  private proposeQueued(): void {
    const data = this.proposalData;
    const ids = this.proposalIds;
    if (data.length === 0) return;
    this.proposalData = [];
    this.proposalIds = [];
    const { rawNode, proposals, metrics } = this.parts;
    for (let start = 0; start < data.length; start += PROPOSAL_BATCH_ENTRIES_MAX) {
      const end = Math.min(data.length, start + PROPOSAL_BATCH_ENTRIES_MAX);
      const refused = rawNode.proposeBatch(end - start === data.length ? data : data.slice(start, end));
      for (let i = start; i < end; i++) {
        if (refused === null) proposals.proposed(ids[i]!, this.iteration);
        else proposals.fail(ids[i]!, nodeErrorOfRaft(refused));
      }
      if (refused !== null) metrics.proposalsFailed.inc({ code: nodeErrorOfRaft(refused).code }, end - start);
    }
  }

  private async handleReady(ready: Ready): Promise<void> {
    if (ready.softState !== null) await this.observeSoftState(ready.softState);
    if (ready.hardState !== null) this.observeHardState(ready.hardState);
    this.send(ready.messages);
    if (this.parts.forwardedTraces !== undefined && this.role === StateType.Leader) this.parts.forwardedTraces.leaderAppended(ready.entries);
    await this.persistence.persist(ready);
    if (ready.snapshot !== null) await this.installSnapshot(ready.snapshot);
    const lastCommitted = ready.committedEntries[ready.committedEntries.length - 1];
    if (lastCommitted !== undefined) {
      await this.persistence.durableThrough(lastCommitted.index);
      await this.parts.applier.apply(ready.committedEntries);
    }
    const { reads, mvcc } = this.parts;
    for (const readState of ready.readStates) reads.confirm(readState.context, readState.index, mvcc.appliedIndex);
    reads.applied(mvcc.appliedIndex);
  }

  private async observeSoftState(softState: SoftState): Promise<void> {
    const { metrics } = this.parts;
    if (softState.lead !== this.lead && softState.lead !== NO_NODE) metrics.leaderChangesSeen.inc();
    metrics.hasLeader.set(softState.lead === NO_NODE ? 0 : 1);
    const wasLeader = this.role === StateType.Leader;
    this.lead = softState.lead;
    this.role = softState.state;
    const isLeader = softState.state === StateType.Leader;
    metrics.isLeader.set(isLeader ? 1 : 0);
    if (isLeader !== wasLeader) await this.hooks.onLeadershipChange(isLeader);
  }

  private observeHardState(hardState: HardState): void {
    if (hardState.term > this.term) {
      const failed = this.parts.proposals.leadershipChanged(this.iteration);
      if (failed > 0) this.parts.metrics.proposalsFailed.inc({ code: 'NODE_LEADERSHIP_LOST' }, failed);
    }
    if (hardState.commit > this.commitIndex) this.parts.metrics.proposalsCommitted.inc(hardState.commit - this.commitIndex);
    this.term = hardState.term;
    this.commitIndex = Math.max(this.commitIndex, hardState.commit);
  }

  /**
   * A Ready's writes are durable: its acknowledgements go out, those to this node come back,
   * and the proposals held while its entries were synced are proposed.
   */
  private sendAfterPersist(messages: readonly Message[]): void {
    const self = this.parts.id;
    if (this.proposalData.length > 0) this.wake();
    if (!messages.some((message) => message.to === self)) {
      this.send(messages);
      return;
    }
    this.deliver(messages.filter((message) => message.to === self));
    this.send(messages.filter((message) => message.to !== self));
  }

  private send(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    if (!messages.some(isSnapshotMessage)) {
      this.parts.transport.send(messages);
      return;
    }
    this.parts.transport.send(messages.filter((message) => !isSnapshotMessage(message)));
    for (const message of messages) if (isSnapshotMessage(message)) this.sendSnapshot(message);
  }

  /**
   * Sends the state machine as it is now rather than the log's snapshot, whose data holds only
   * the member table: the metadata names Raft's applied index, with the membership and member
   * table as of it, so the follower's log resumes right after it (etcd's
   * createMergedSnapshotMessage). The state may be ahead of that index (after a crash, or by
   * the time it is read); the follower's store skips the entries its state already holds.
   */
  private sendSnapshot(message: Message): void {
    const { mvcc, rawNode, logStore, members, transport } = this.parts;
    const index = rawNode.appliedIndex();
    const metadata = { index, term: logStore.term(index), confState: rawNode.status().confState };
    const merged: Message = { ...message, snapshot: { metadata, data: members.encode() } };
    this.parts.logger.info({ to: message.to, index: metadata.index }, 'sending a snapshot');
    transport.sendSnapshot(merged, () => mvcc.snapshot());
  }

  private async installSnapshot(snapshot: Snapshot): Promise<void> {
    const { mvcc, members, layout, metrics, logger, fileSystem, cipher } = this.parts;
    const { index, term } = snapshot.metadata;
    const started = performance.now();
    await mvcc.restore(readReceivedSnapshot(fileSystem, receivedSnapshotPath(layout, term, index), cipher));
    members.load(snapshot.data);
    this.hooks.onMembersReplaced();
    await removeReceivedSnapshots(fileSystem, layout, index);
    metrics.snapshotApplyDuration.observe((performance.now() - started) / 1000);
    logger.info({ index, term, appliedIndex: mvcc.appliedIndex }, 'restored the state machine from a snapshot');
  }
}

function isSnapshotMessage(message: Message): boolean {
  return message.type === MessageType.Snapshot;
}
