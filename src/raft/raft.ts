// The Raft state machine (etcd's raft.go): roles, terms, elections and the single entry point
// step(). It performs no I/O: messages queue up in `messages` and `messagesAfterPersist`, and
// the RawNode hands them out in a Ready. Role handlers live beside it in step-leader.ts and
// step-follower.ts, the sending of appends in replication.ts.

import { changedConfig } from './conf-changer.js';
import { decodeConfChange, encodeConfChange } from './confchange-codec.js';
import type { RaftConfig } from './config.js';
import { validateConfig } from './config.js';
import { entriesDataBytes } from './entry-bytes.js';
import type { RaftError } from './errors.js';
import { StorageError, StorageErrorCode, assert } from './errors.js';
import type { TrackerConfig } from './progress-tracker.js';
import { ProgressTracker, confStateOf, sameMembership, trackerConfigOf } from './progress-tracker.js';
import { VoteResult } from './quorum.js';
import { RaftLog } from './raft-log.js';
import { ReadOnly } from './read-only.js';
import { bcastAppend, maybeSendAppend } from './replication.js';
import { stepLeader } from './step-leader.js';
import { stepCandidate, stepFollower } from './step-follower.js';
import type { ConfChange, ConfState, Entry, HardState, LogIndex, Message, NodeId, ReadState, SoftState, Term } from './types.js';
import { ConfChangeTransition, ConfChangeType, EMPTY_BYTES, EntryType, MessageType, NO_NODE, StateType, logIndex, message, term } from './types.js';

/** Marks the Vote of a leadership transfer: voters in a leader lease grant it anyway. */
const CAMPAIGN_TRANSFER_CONTEXT = new Uint8Array([0x74, 0x72, 0x61, 0x6e, 0x73, 0x66, 0x65, 0x72]);

const VOTE_TRAFFIC: ReadonlySet<MessageType> = new Set([
  MessageType.Vote,
  MessageType.VoteResponse,
  MessageType.PreVote,
  MessageType.PreVoteResponse,
]);
const FORWARDED_WITHOUT_TERM: ReadonlySet<MessageType> = new Set([MessageType.Propose, MessageType.ReadIndex]);
/** Responses that promise state is on disk: sent only after the Ready is persisted. */
const PROMISES_DURABLE_STATE: ReadonlySet<MessageType> = new Set([
  MessageType.AppendResponse,
  MessageType.VoteResponse,
  MessageType.PreVoteResponse,
  // A candidate asks for votes only once its new term and its own vote are durable (as etcd's
  // server does: a candidate sends only after saving its hard state). Otherwise two peers'
  // votes could make it leader of a term its disk does not hold yet; it could replicate
  // entries of that term, crash, come back in the term before, be elected in the same term
  // again by the same voters, and write other entries at the same index and term: a follower
  // holding the first ones would keep them, and the members' states would part.
  MessageType.Vote,
]);
const NO_ENTRIES: readonly Entry[] = Object.freeze([]);

export enum CampaignType {
  PreElection = 'pre-election',
  Election = 'election',
  Transfer = 'transfer',
}

export class Raft {
  readonly id: NodeId;
  readonly config: Readonly<RaftConfig>;
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  term: Term = term(0);
  /** Whom this node voted for in `term`; NO_NODE if nobody. */
  vote: NodeId = NO_NODE;
  state: StateType = StateType.Follower;
  /** The leader of `term` as far as this node knows; NO_NODE if unknown. */
  lead: NodeId = NO_NODE;
  /** Messages that may be sent at once. */
  messages: Message[] = [];
  /** Responses that promise durable state: sent only after the Ready is persisted. */
  messagesAfterPersist: Message[] = [];
  readStates: ReadState[] = [];
  /** The node leadership is being transferred to; NO_NODE when no transfer is under way. */
  leadTransferee: NodeId = NO_NODE;
  /** Index of the latest configuration change appended by this leader; none may follow until it is applied. */
  pendingConfIndex: LogIndex = logIndex(0);
  /** Bytes of entry data the leader appended and has not seen applied. */
  uncommittedBytes = 0;
  readOnly = new ReadOnly();
  /** ReadIndex requests that wait until the leader has committed an entry of its term. */
  pendingReadIndexMessages: Message[] = [];
  /** Ticks since the last election timeout reset (leader: since the last check-quorum round). */
  electionElapsed = 0;
  heartbeatElapsed = 0;
  /** Invariant: in [electionTicks, 2 * electionTicks). */
  randomizedElectionTimeout = 0;

  constructor(config: RaftConfig) {
    this.config = validateConfig(config);
    this.id = config.id;
    this.log = new RaftLog(config.storage, config.committedBytesPerReadyMax);
    this.tracker = new ProgressTracker(config.inflightMessagesMax);
    const { hardState, confState } = config.storage.initialState();
    this.tracker.applyConfig(trackerConfigOf(confState), logIndex(this.log.lastIndex() + 1));
    if (hardState.term !== 0 || hardState.vote !== NO_NODE || hardState.commit !== 0) this.loadState(hardState);
    if (config.applied > 0) this.log.appliedTo(config.applied);
    this.replayAppliedConfChanges(confState);
    this.becomeFollower(this.term, NO_NODE);
  }

  /**
   * Storage keeps the membership of its snapshot, but the application restarts from its own
   * applied index and will not apply the configuration changes after the snapshot again:
   * replay them, so that a restarted node counts the quorum of the membership it last applied.
   * A store that saves each membership as it is applied (its ConfState differs from its
   * snapshot's) already holds the latest one.
   */
  private replayAppliedConfChanges(storedConfState: ConfState): void {
    let snapshot;
    try {
      snapshot = this.config.storage.snapshot();
    } catch (error) {
      if (error instanceof StorageError && error.code === StorageErrorCode.SnapshotTemporarilyUnavailable) return;
      throw error;
    }
    if (!sameMembership(snapshot.metadata.confState, storedConfState)) return;
    let next = logIndex(Math.max(this.log.firstIndex(), snapshot.metadata.index + 1));
    while (next <= this.log.applied) {
      const page = this.log.slice(next, logIndex(this.log.applied + 1), this.config.committedBytesPerReadyMax);
      for (const entry of page) {
        if (entry.type !== EntryType.ConfChange) continue;
        const config = changedConfig(this.tracker.config, decodeConfChange(entry.data));
        this.tracker.applyConfig(config, logIndex(this.log.lastIndex() + 1));
      }
      next = logIndex(next + page.length);
    }
  }

  private loadState(hardState: HardState): void {
    assert(hardState.commit <= this.log.lastIndex(), `hard state commit ${hardState.commit} is beyond the last index ${this.log.lastIndex()}`);
    // A snapshot holds only committed state, so the log starts committed through it. The hard
    // state may be behind it: a crash after a received snapshot became durable and before the
    // hard state written beside it did leaves the older commit index on disk.
    this.log.committed = logIndex(Math.max(hardState.commit, this.log.committed));
    this.term = hardState.term;
    this.vote = hardState.vote;
  }

  /**
   * Starts a new cluster's member on empty storage (etcd's Bootstrap): entry 1, of term 1, is
   * one ConfChange adding every initial voter, committed at once. Every initial member writes
   * the identical entry, so their logs match from index 1, and a node that joins later learns
   * the whole membership history from the leader's log. Throws on a storage that is not empty.
   */
  bootstrap(voters: readonly NodeId[]): void {
    const sorted = [...new Set(voters)].sort((a, b) => a - b);
    assert(sorted.length > 0, 'bootstrap needs at least one voter');
    assert(
      this.log.lastIndex() === 0 && this.term === 0 && this.tracker.progress.size === 0,
      'bootstrap needs an empty storage: no entries, no hard state and no membership',
    );
    this.becomeFollower(term(1), NO_NODE);
    const cc: ConfChange = {
      transition: ConfChangeTransition.Auto,
      changes: sorted.map((id) => ({ type: ConfChangeType.AddNode, nodeId: id })),
      context: EMPTY_BYTES,
    };
    this.log.append([{ term: term(1), index: logIndex(1), type: EntryType.ConfChange, data: encodeConfChange(cc) }]);
    // Committed without a vote: every member starts from this same entry.
    this.log.commitTo(logIndex(1));
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { lead: this.lead, state: this.state };
  }

  /** A node that was a member and is no longer (a node that is joining knows no members yet). */
  removedFromConfig(): boolean {
    return this.tracker.config.voters.size > 0 && !this.tracker.progress.has(this.id);
  }

  /**
   * Queues a message, filling in the group, the sender (unless forwarded) and, except for
   * votes, the term. The message is built as one literal of a fixed shape: this is the
   * hottest allocation of the core.
   */
  send(fields: Partial<Message> & Pick<Message, 'type' | 'to'>): void {
    const type = fields.type;
    const isVoteTraffic = VOTE_TRAFFIC.has(type);
    // Votes carry the term they are for; forwarded proposals and reads carry none (as in etcd).
    const messageTerm = isVoteTraffic ? fields.term ?? this.term : FORWARDED_WITHOUT_TERM.has(type) ? term(0) : this.term;
    if (isVoteTraffic) assert(messageTerm !== 0, `${MessageType[type]} must carry a term`);
    const outgoing: Message = {
      type,
      groupId: this.config.groupId,
      to: fields.to,
      from: fields.from ?? this.id,
      term: messageTerm,
      logTerm: fields.logTerm ?? term(0),
      index: fields.index ?? logIndex(0),
      entries: fields.entries ?? NO_ENTRIES,
      commit: fields.commit ?? logIndex(0),
      snapshot: fields.snapshot ?? null,
      reject: fields.reject ?? false,
      rejectHint: fields.rejectHint ?? logIndex(0),
      context: fields.context ?? EMPTY_BYTES,
    };
    (PROMISES_DURABLE_STATE.has(type) ? this.messagesAfterPersist : this.messages).push(outgoing);
  }

  tick(): void {
    if (this.state === StateType.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(message({ type: MessageType.Hup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTicks) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum) this.step(message({ type: MessageType.CheckQuorum, from: this.id }));
      // A transfer that has not finished within an election timeout is given up.
      if (this.state === StateType.Leader && this.leadTransferee !== NO_NODE) this.abortLeaderTransfer();
    }
    if (this.state !== StateType.Leader) return;
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.step(message({ type: MessageType.Beat, from: this.id }));
    }
  }

  /** Whether this node may become leader: a voter that is not waiting to install a snapshot. */
  promotable(): boolean {
    const progress = this.tracker.progress.get(this.id);
    return progress !== undefined && !progress.isLearner && this.log.unstable.snapshot === null;
  }

  private reset(newTerm: Term): void {
    if (this.term !== newTerm) {
      this.term = newTerm;
      this.vote = NO_NODE;
    }
    this.lead = NO_NODE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.config.electionTicks + this.config.random.nextInt(this.config.electionTicks);
    this.abortLeaderTransfer();
    this.tracker.resetVotes();
    this.tracker.resetProgress(this.id, this.log.lastIndex());
    this.pendingConfIndex = logIndex(0);
    this.uncommittedBytes = 0;
    this.readOnly = new ReadOnly();
    this.pendingReadIndexMessages = [];
  }

  becomeFollower(newTerm: Term, lead: NodeId): void {
    this.reset(newTerm);
    this.lead = lead;
    this.state = StateType.Follower;
  }

  private becomeCandidate(): void {
    assert(this.state !== StateType.Leader, 'a leader cannot become candidate');
    this.reset(term(this.term + 1));
    this.vote = this.id;
    this.state = StateType.Candidate;
  }

  private becomePreCandidate(): void {
    assert(this.state !== StateType.Leader, 'a leader cannot become pre-candidate');
    // A pre-candidate neither bumps its term nor votes: it only asks whether it could win.
    this.tracker.resetVotes();
    this.lead = NO_NODE;
    this.state = StateType.PreCandidate;
  }

  becomeLeader(): void {
    assert(this.state !== StateType.Follower, 'a follower must win an election to lead');
    this.reset(this.term);
    this.lead = this.id;
    this.state = StateType.Leader;
    const self = this.tracker.progress.get(this.id);
    if (self !== undefined) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // The empty entry of the new term lets the leader commit (only current-term entries
    // commit by counting replicas), and no configuration change may precede its commit.
    const appended = this.appendEntries([{ term: term(0), index: logIndex(0), type: EntryType.Normal, data: new Uint8Array(0) }]);
    assert(appended, 'the empty entry of a new leader always fits the uncommitted limit');
    this.pendingConfIndex = this.log.lastIndex();
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NO_NODE;
  }

  /**
   * Appends proposals at the leader, stamping them with the term and their indexes.
   * Returns false when they would exceed the uncommitted byte limit.
   */
  appendEntries(proposals: readonly Entry[]): boolean {
    const bytes = entriesDataBytes(proposals);
    const limit = this.config.uncommittedBytesMax;
    // As in etcd, one proposal is admitted when nothing is uncommitted, however large.
    if (limit > 0 && this.uncommittedBytes > 0 && bytes > 0 && this.uncommittedBytes + bytes > limit) return false;
    this.uncommittedBytes += bytes;
    const after = this.log.lastIndex();
    const stamped: Entry[] = [];
    for (let i = 0; i < proposals.length; i++) {
      const proposal = proposals[i]!;
      stamped.push({ term: this.term, index: logIndex(after + 1 + i), type: proposal.type, data: proposal.data });
    }
    const lastIndex = this.log.append(stamped);
    // The leader counts its own copy only once it is durable, as any follower's: the
    // acknowledgement waits in messagesAfterPersist and comes back through step(). Counting
    // it at append would let a commit index that covers an entry on fewer than a quorum of
    // disks reach the followers while the leader's fsync is still pending.
    this.send({ type: MessageType.AppendResponse, to: this.id, index: lastIndex });
    return true;
  }

  reduceUncommittedBytes(bytes: number): void {
    this.uncommittedBytes = Math.max(0, this.uncommittedBytes - bytes);
  }

  /** Advances the commit index to what a quorum holds, if that is an entry of this term. */
  maybeCommit(): boolean {
    return this.log.maybeCommit(this.tracker.committed(), this.term);
  }

  committedEntryInCurrentTerm(): boolean {
    return this.log.maybeTerm(this.log.committed) === this.term;
  }

  /** The single entry point: a message from a peer or a local event. */
  step(m: Message): RaftError | null {
    if (m.term > this.term) {
      if (!this.adoptHigherTerm(m)) return null;
    } else if (m.term !== 0 && m.term < this.term) {
      this.answerStaleTerm(m);
      return null;
    }
    switch (m.type) {
      case MessageType.Hup:
        this.hup(this.config.preVote ? CampaignType.PreElection : CampaignType.Election);
        return null;
      case MessageType.Vote:
      case MessageType.PreVote:
        this.handleVoteRequest(m);
        return null;
      default:
        if (this.state === StateType.Leader) return stepLeader(this, m);
        if (this.state === StateType.Follower) return stepFollower(this, m);
        return stepCandidate(this, m);
    }
  }

  /** Returns false when the message is to be ignored. */
  private adoptHigherTerm(m: Message): boolean {
    if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
      const forced = sameBytes(m.context, CAMPAIGN_TRANSFER_CONTEXT);
      const inLease =
        this.config.checkQuorum && this.lead !== NO_NODE && this.electionElapsed < this.config.electionTicks;
      // A node that heard from a leader recently ignores a disruptive candidate (leader lease).
      if (!forced && inLease) return false;
    }
    if (m.type === MessageType.PreVote) return true;
    // A granted pre-vote is for a term the pre-candidate has not started yet.
    if (m.type === MessageType.PreVoteResponse && !m.reject) return true;
    const fromLeader =
      m.type === MessageType.Append || m.type === MessageType.Heartbeat || m.type === MessageType.Snapshot;
    this.becomeFollower(m.term, fromLeader ? m.from : NO_NODE);
    return true;
  }

  private answerStaleTerm(m: Message): void {
    if ((this.config.checkQuorum || this.config.preVote) && (m.type === MessageType.Heartbeat || m.type === MessageType.Append)) {
      // A leader cut off by a partition learns of the newer term and steps down; without
      // this, pre-vote or the lease would keep it from ever hearing of the new term.
      this.send({ type: MessageType.AppendResponse, to: m.from });
    } else if (m.type === MessageType.PreVote) {
      this.send({ type: MessageType.PreVoteResponse, to: m.from, term: this.term, reject: true });
    }
  }

  private handleVoteRequest(m: Message): void {
    const isPreVote = m.type === MessageType.PreVote;
    const responseType = isPreVote ? MessageType.PreVoteResponse : MessageType.VoteResponse;
    const canVote =
      this.vote === m.from ||
      (this.vote === NO_NODE && this.lead === NO_NODE) ||
      (isPreVote && m.term > this.term);
    // A learner answers too (as in etcd): a candidate asks only the voters of its own
    // configuration, so a node asked has been promoted and may not have applied it yet; a
    // refusal could leave the group without a quorum. Learners' votes never count otherwise.
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      this.send({ type: responseType, to: m.from, term: m.term });
      if (!isPreVote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: responseType, to: m.from, term: this.term, reject: true });
    }
  }

  hup(campaignType: CampaignType): void {
    if (this.state === StateType.Leader || !this.promotable()) return;
    // A configuration change that is committed but not applied may change who votes.
    if (this.hasUnappliedConfChanges()) return;
    this.campaign(campaignType);
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.log.applied >= this.log.committed) return false;
    const unapplied = this.log.slice(logIndex(this.log.applied + 1), logIndex(this.log.committed + 1), Number.MAX_SAFE_INTEGER);
    return unapplied.some((entry) => entry.type === EntryType.ConfChange);
  }

  campaign(campaignType: CampaignType): void {
    let voteType: MessageType;
    let voteTerm: Term;
    if (campaignType === CampaignType.PreElection) {
      this.becomePreCandidate();
      voteType = MessageType.PreVote;
      voteTerm = term(this.term + 1);
    } else {
      this.becomeCandidate();
      voteType = MessageType.Vote;
      voteTerm = this.term;
    }
    if (campaignType !== CampaignType.PreElection) {
      // The candidate counts its own vote only once its term and vote are durable, as any
      // voter's: the response waits in messagesAfterPersist and comes back through step().
      // Counted at once, a candidate whose fsync stalls could win, lead and replicate, then
      // crash, come back in an older term with no vote, and vote again in a term it had left:
      // a leader of that older term could then commit an entry the newer term's log replaces.
      this.send({ type: MessageType.VoteResponse, to: this.id, term: this.term });
    } else if (this.poll(this.id, true) === VoteResult.Won) {
      // A single voter passes the pre-vote at once; a pre-vote promises nothing durable.
      this.campaign(CampaignType.Election);
      return;
    }
    const context = campaignType === CampaignType.Transfer ? CAMPAIGN_TRANSFER_CONTEXT : new Uint8Array(0);
    for (const id of this.tracker.voterIds()) {
      if (id === this.id) continue;
      this.send({ type: voteType, to: id, term: voteTerm, index: this.log.lastIndex(), logTerm: this.log.lastTerm(), context });
    }
  }

  poll(id: NodeId, granted: boolean): VoteResult {
    this.tracker.recordVote(id, granted);
    return this.tracker.tallyVotes().result;
  }

  /** Applies a committed configuration change; the application calls this when it applies the entry. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.switchToConfig(changedConfig(this.tracker.config, cc));
  }

  private switchToConfig(config: TrackerConfig): ConfState {
    // New members are probed at the last entry, so the first probe carries an entry and goes out at once.
    this.tracker.applyConfig(config, logIndex(Math.max(this.log.lastIndex(), 1)));
    const confState = confStateOf(config);
    if (this.state !== StateType.Leader) return confState;
    if (!this.tracker.isVoter(this.id)) {
      // A leader removed or demoted steps down; the remaining voters elect a new one.
      this.becomeFollower(this.term, NO_NODE);
      return confState;
    }
    // The quorum may have shrunk, so the commit index may advance; new members need the log.
    if (this.maybeCommit()) bcastAppend(this);
    else for (const id of this.tracker.progress.keys()) if (id !== this.id) maybeSendAppend(this, id, false);
    if (this.leadTransferee !== NO_NODE && !this.tracker.progress.has(this.leadTransferee)) this.abortLeaderTransfer();
    return confState;
  }

  /** The leader's side of auto-leave: once the joint configuration is applied, propose leaving it. */
  maybeAutoLeaveJoint(): void {
    const config = this.tracker.config;
    if (this.state !== StateType.Leader || !config.autoLeave || this.log.applied < this.pendingConfIndex) return;
    const leave: ConfChange = { transition: ConfChangeTransition.Auto, changes: [], context: new Uint8Array(0) };
    this.step(proposalOfConfChange(this.id, leave));
  }
}

export function proposalOfConfChange(from: NodeId, cc: ConfChange): Message {
  return message({
    type: MessageType.Propose,
    from,
    entries: [{ term: term(0), index: logIndex(0), type: EntryType.ConfChange, data: encodeConfChange(cc) }],
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
