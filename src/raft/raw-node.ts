// The application's handle on one Raft node (etcd's rawnode.go): feed it ticks, messages and
// proposals; take its work as a Ready; report back with advance().

import { confChangeProblem } from './conf-changer.js';
import type { RaftConfig } from './config.js';
import { entriesDataBytes } from './entry-bytes.js';
import { RaftError, RaftErrorCode, assert } from './errors.js';
import { Raft, proposalOfConfChange } from './raft.js';
import type { ConfChange, ConfState, Entry, HardState, LogIndex, Message, NodeId, ProgressStatus, Ready, SoftState, Status } from './types.js';
import { EntryType, MessageType, StateType, logIndex, message, term } from './types.js';

const LOCAL_ONLY_MESSAGE_TYPES: ReadonlySet<MessageType> = new Set([
  MessageType.Hup,
  MessageType.Beat,
  MessageType.Unreachable,
  MessageType.SnapshotStatus,
  MessageType.CheckQuorum,
]);

export class RawNode {
  private readonly raft: Raft;
  /** The soft state last handed out in a Ready. */
  private previousSoftState: SoftState;
  /** The hard state last handed out in a Ready (or loaded from storage). */
  private previousHardState: HardState;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.previousSoftState = this.raft.softState();
    this.previousHardState = this.raft.hardState();
  }

  /**
   * Makes this node one of the initial members of a new cluster, on empty storage: the next
   * Ready holds entry 1 (a ConfChange adding `voters`) to persist and to apply with
   * applyConfChange, like any other. Every initial member must bootstrap the same voters; a
   * node that joins later does not bootstrap. Throws if storage is not empty.
   */
  bootstrap(voters: readonly NodeId[]): void {
    this.raft.bootstrap(voters);
  }

  /** One logical clock tick: drives elections, heartbeats and check-quorum. */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (with pre-vote if configured); ignored by a leader or a non-voter. */
  campaign(): RaftError | null {
    return this.raft.step(message({ type: MessageType.Hup, from: this.raft.id }));
  }

  /**
   * Proposes one entry. null means accepted (appended at the leader, or forwarded to it), not
   * committed: a forwarded proposal can still be lost, so the caller tracks it until applied.
   * Errors: NoLeader (retry after an election), TransferInProgress (retry shortly),
   * UncommittedLimit (back off until commits catch up), ForwardingDisabled (send it to the
   * leader), NotMember (this node was removed).
   */
  propose(data: Uint8Array): RaftError | null {
    return this.proposeBatch([data]);
  }

  /** Proposes several entries, accepted or refused as a whole (errors as for propose). */
  proposeBatch(data: readonly Uint8Array[]): RaftError | null {
    if (data.length === 0) return null;
    const entries: Entry[] = data.map((bytes) => ({ term: term(0), index: logIndex(0), type: EntryType.Normal, data: bytes }));
    return this.raft.step(message({ type: MessageType.Propose, from: this.raft.id, entries }));
  }

  /**
   * Proposes a membership change. Errors: ConfChangePending (one is not yet applied, the joint
   * configuration is not yet left, or a new leader has not committed an entry of its term:
   * retry later), InvalidConfChange (the change can never apply), and those of propose.
   */
  proposeConfChange(cc: ConfChange): RaftError | null {
    // The leader also checks that no change is pending; any node can check validity.
    const problem = confChangeProblem(this.raft.tracker.config, cc);
    if (problem !== null) return problem;
    return this.raft.step(proposalOfConfChange(this.raft.id, cc));
  }

  /** Called by the application when it applies a committed ConfChange entry; returns the new membership. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /** A message from a peer. Errors: LocalMessageFromPeer, WrongGroup (the transport misrouted it). */
  step(m: Message): RaftError | null {
    if (LOCAL_ONLY_MESSAGE_TYPES.has(m.type)) {
      return new RaftError(RaftErrorCode.LocalMessageFromPeer, `${MessageType[m.type]} is local and cannot come from node ${m.from}`);
    }
    if (m.groupId !== this.raft.config.groupId) {
      return new RaftError(
        RaftErrorCode.WrongGroup,
        `message for group ${m.groupId} reached group ${this.raft.config.groupId}; check the transport's routing`,
      );
    }
    return this.raft.step(m);
  }

  /**
   * Requests a linearizable read. `context` identifies the request (heartbeats carry it to
   * confirm leadership), so it must be non-empty and unique among pending reads.
   */
  readIndex(context: Uint8Array): RaftError | null {
    assert(context.byteLength > 0, 'a ReadIndex context must not be empty: it identifies the request');
    const entries: Entry[] = [{ term: term(0), index: logIndex(0), type: EntryType.Normal, data: context }];
    return this.raft.step(message({ type: MessageType.ReadIndex, from: this.raft.id, entries }));
  }

  /**
   * Asks the leader to hand leadership to `to` (forwarded by a follower). Errors: UnknownNode,
   * TransferToLearner, NoLeader. Success is seen as a change of leader in a later Ready.
   */
  transferLeadership(to: NodeId): RaftError | null {
    const progress = this.raft.tracker.progress.get(to);
    if (progress === undefined) return new RaftError(RaftErrorCode.UnknownNode, `node ${to} is not a member`);
    if (progress.isLearner) return new RaftError(RaftErrorCode.TransferToLearner, `node ${to} is a learner and cannot lead`);
    return this.raft.step(message({ type: MessageType.TransferLeader, from: to }));
  }

  /** The transport could not reach `id`: the leader stops streaming to it and probes instead. */
  reportUnreachable(id: NodeId): void {
    this.raft.step(message({ type: MessageType.Unreachable, from: id }));
  }

  /** The transport finished sending a snapshot to `id` (ok = delivered); the leader probes it next. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(message({ type: MessageType.SnapshotStatus, from: id, reject: !ok }));
  }

  hasReady(): boolean {
    const raft = this.raft;
    const unstable = raft.log.unstable;
    return (
      raft.messages.length > 0 ||
      raft.messagesAfterPersist.length > 0 ||
      unstable.hasNextEntries() ||
      raft.log.hasNextCommittedEntries() ||
      unstable.nextSnapshot() !== null ||
      raft.readStates.length > 0 ||
      !sameSoftState(raft.softState(), this.previousSoftState) ||
      !sameHardState(raft.hardState(), this.previousHardState)
    );
  }

  /** Hands out the pending work and marks it as in progress until advance(). */
  ready(): Ready {
    const raft = this.raft;
    const softState = raft.softState();
    const hardState = raft.hardState();
    const softStateChanged = !sameSoftState(softState, this.previousSoftState);
    const hardStateChanged = !sameHardState(hardState, this.previousHardState);
    const entries = raft.log.unstable.nextEntries();
    const committedEntries = raft.log.nextCommittedEntries();
    const ready: Ready = {
      softState: softStateChanged ? softState : null,
      hardState: hardStateChanged ? hardState : null,
      readStates: raft.readStates,
      entries,
      snapshot: raft.log.unstable.nextSnapshot(),
      committedEntries,
      messages: raft.messages,
      messagesAfterPersist: raft.messagesAfterPersist,
      mustSync:
        entries.length > 0 || hardState.term !== this.previousHardState.term || hardState.vote !== this.previousHardState.vote,
    };
    this.previousSoftState = softState;
    this.previousHardState = hardState;
    raft.messages = [];
    raft.messagesAfterPersist = [];
    raft.readStates = [];
    raft.log.unstable.acceptInProgress();
    const lastCommitted = committedEntries[committedEntries.length - 1];
    if (lastCommitted !== undefined) raft.log.acceptApplying(lastCommitted.index);
    return ready;
  }

  /** The application persisted, sent and applied `ready`. */
  advance(ready: Ready): void {
    const log = this.raft.log;
    if (ready.snapshot !== null) {
      log.stableSnapshotTo(ready.snapshot.metadata.index);
      log.appliedTo(ready.snapshot.metadata.index);
    }
    const lastEntry = ready.entries[ready.entries.length - 1];
    if (lastEntry !== undefined) log.stableTo(lastEntry.index, lastEntry.term);
    const lastCommitted = ready.committedEntries[ready.committedEntries.length - 1];
    if (lastCommitted !== undefined) {
      log.appliedTo(lastCommitted.index);
      this.raft.reduceUncommittedBytes(entriesDataBytes(ready.committedEntries));
    }
    this.raft.maybeAutoLeaveJoint();
  }

  /**
   * The last index the application reported applied through advance. After a crash the
   * application's own state may be ahead of it (entries it applied before the hard state naming
   * them committed was durable); a snapshot may cover only this far, since Raft still hands out
   * the entries after it.
   */
  appliedIndex(): LogIndex {
    return this.raft.log.applied;
  }

  status(): Status {
    const raft = this.raft;
    const progress = new Map<NodeId, ProgressStatus>();
    if (raft.state === StateType.Leader) for (const [id, member] of raft.tracker.progress) progress.set(id, member.status());
    return {
      id: raft.id,
      groupId: raft.config.groupId,
      hardState: raft.hardState(),
      softState: raft.softState(),
      applied: raft.log.applied,
      confState: raft.tracker.confState(),
      progress,
      leadTransferee: raft.leadTransferee,
    };
  }
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.lead === b.lead && a.state === b.state;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
