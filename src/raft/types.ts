// The vocabulary of the consensus core: entries, messages, states and the Ready that hands
// work to the caller. Everything here is plain data so that a Ready can be persisted, sent
// and replayed by code that knows nothing of the algorithm.

/** Branded integers keep a term from being passed where an index is expected. */
export type Term = number & { readonly __brand: 'Term' };
export type LogIndex = number & { readonly __brand: 'LogIndex' };
/** A member id: a positive safe integer, unique within a cluster. 0 means "none". */
export type NodeId = number & { readonly __brand: 'NodeId' };
/** The Raft group a message or entry belongs to; one process may host many groups. */
export type GroupId = number & { readonly __brand: 'GroupId' };

export const term = (value: number): Term => value as Term;
export const logIndex = (value: number): LogIndex => value as LogIndex;
export const nodeId = (value: number): NodeId => value as NodeId;
export const groupId = (value: number): GroupId => value as GroupId;

export const NO_NODE: NodeId = nodeId(0);

export enum EntryType {
  /** Application data; empty data is the leader's no-op entry of a new term. */
  Normal = 0,
  /** `data` is a ConfChange encoded with encodeConfChange. */
  ConfChange = 1,
}

export interface Entry {
  readonly term: Term;
  readonly index: LogIndex;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** The state that must be on stable storage before any message that depends on it is sent. */
export interface HardState {
  readonly term: Term;
  readonly vote: NodeId;
  readonly commit: LogIndex;
}

/**
 * The membership. During a joint change `votersOutgoing` holds the old voters and decisions
 * need a majority of both `voters` and `votersOutgoing`; otherwise `votersOutgoing` is empty.
 * `learnersNext` are outgoing voters that become learners when the joint state is left.
 */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly votersOutgoing: readonly NodeId[];
  readonly learnersNext: readonly NodeId[];
  /** Whether the joint configuration is left automatically once it commits. */
  readonly autoLeave: boolean;
}

export interface SnapshotMetadata {
  readonly index: LogIndex;
  readonly term: Term;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** Opaque to Raft: the application's state, or a reference to where it can be fetched. */
  readonly data: Uint8Array;
}

export enum ConfChangeType {
  AddNode = 0,
  RemoveNode = 1,
  AddLearnerNode = 2,
}

export enum ConfChangeTransition {
  /** Joint consensus, left automatically once the joint configuration commits. */
  Auto = 0,
  /** Joint consensus, left only when the application proposes an empty ConfChange. */
  JointExplicit = 1,
}

export interface ConfChangeSingle {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
}

/**
 * A membership change. Every change goes through joint consensus; an empty `changes` list
 * is the request to leave the joint configuration. `context` is opaque application data
 * (for example the new member's address).
 */
export interface ConfChange {
  readonly transition: ConfChangeTransition;
  readonly changes: readonly ConfChangeSingle[];
  readonly context: Uint8Array;
}

export enum MessageType {
  /** Local: time to start an election (sent by tickElection, or by the application). */
  Hup = 0,
  /** Local: the leader should heartbeat. */
  Beat = 1,
  /** Local at the leader, or forwarded from a follower: append these entries. */
  Propose = 2,
  Append = 3,
  AppendResponse = 4,
  Vote = 5,
  VoteResponse = 6,
  PreVote = 7,
  PreVoteResponse = 8,
  Snapshot = 9,
  Heartbeat = 10,
  HeartbeatResponse = 11,
  /** Local: a peer was unreachable (the transport reports it). */
  Unreachable = 12,
  /** Local: a snapshot send finished (reject = failed). */
  SnapshotStatus = 13,
  /** Local: the leader should check that it still hears from a quorum. */
  CheckQuorum = 14,
  /** Local or forwarded: transfer leadership to `from`. */
  TransferLeader = 15,
  /** The transfer target should start an election at once. */
  TimeoutNow = 16,
  /** Local or forwarded: a linearizable read request with its context in entries[0].data. */
  ReadIndex = 17,
  ReadIndexResponse = 18,
}

export interface Message {
  readonly type: MessageType;
  readonly groupId: GroupId;
  readonly to: NodeId;
  readonly from: NodeId;
  readonly term: Term;
  /** The term of the entry at `index` (for Append: the entry preceding `entries`). */
  readonly logTerm: Term;
  readonly index: LogIndex;
  readonly entries: readonly Entry[];
  readonly commit: LogIndex;
  readonly snapshot: Snapshot | null;
  readonly reject: boolean;
  /** For a rejected append: the follower's hint for the index to probe next. */
  readonly rejectHint: LogIndex;
  /** Heartbeat and ReadIndex context; opaque to Raft. */
  readonly context: Uint8Array;
}

export enum StateType {
  Follower = 'follower',
  Candidate = 'candidate',
  Leader = 'leader',
  PreCandidate = 'pre-candidate',
}

/** Volatile state that the application may want to observe; never persisted. */
export interface SoftState {
  readonly lead: NodeId;
  readonly state: StateType;
}

/** A linearizable read may be served once the state machine has applied `index`. */
export interface ReadState {
  readonly index: LogIndex;
  readonly context: Uint8Array;
}

/**
 * The work a RawNode hands to its caller. The caller must, in this order:
 *  1. apply `snapshot` (if any) to storage, append `entries` and save `hardState` durably;
 *  2. send `messages` (these may also be sent before step 1 completes) and, only after
 *     step 1 is durable, `messagesAfterPersist` (votes and append responses promise that
 *     state is on disk). A leader's acknowledgement of its own append is among them,
 *     addressed to itself: the caller steps it back into this node, and only then does the
 *     leader count its copy toward the quorum, so no commit index covers an entry that is
 *     durable on fewer than a quorum, the leader included;
 *  3. apply `committedEntries` to the state machine (and `snapshot` to it, before them);
 *  4. call `advance(ready)`.
 * With a Storage whose reads see each write as soon as it is issued, `advance` may come once
 * step 1 is issued rather than durable, if `messagesAfterPersist` and the application of
 * committed entries still wait until what they depend on is durable (the node's pipelined
 * persistence does so, to keep proposing while its disk syncs).
 */
export interface Ready {
  /** Present only when it changed since the last Ready. */
  readonly softState: SoftState | null;
  /** Present only when it changed since the last Ready. */
  readonly hardState: HardState | null;
  readonly readStates: readonly ReadState[];
  /** Entries to append to stable storage before `messagesAfterPersist` are sent. */
  readonly entries: readonly Entry[];
  /** A snapshot to install in storage and the state machine. */
  readonly snapshot: Snapshot | null;
  /** Entries committed by a quorum, to apply in order. */
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  /** Sent once step 1 is durable; those addressed to this node itself are stepped back into it. */
  readonly messagesAfterPersist: readonly Message[];
  /** True when the hard state or entries must be fsynced before messagesAfterPersist go out. */
  readonly mustSync: boolean;
}

export enum ProgressState {
  /** Sending one append at a time until the follower's match index is found. */
  Probe = 'probe',
  /** Streaming appends optimistically within the in-flight window. */
  Replicate = 'replicate',
  /** Waiting for a snapshot to be installed. */
  Snapshot = 'snapshot',
}

export interface ProgressStatus {
  readonly match: LogIndex;
  readonly next: LogIndex;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  readonly recentActive: boolean;
  readonly inflightMessages: number;
}

export interface Status {
  readonly id: NodeId;
  readonly groupId: GroupId;
  readonly hardState: HardState;
  readonly softState: SoftState;
  readonly applied: LogIndex;
  readonly confState: ConfState;
  /** Empty unless this node is the leader. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus>;
  readonly leadTransferee: NodeId;
}

export const EMPTY_HARD_STATE: HardState = { term: term(0), vote: NO_NODE, commit: logIndex(0) };

export const EMPTY_CONF_STATE: ConfState = {
  voters: [],
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
};

export const EMPTY_BYTES = new Uint8Array(0);

/** Builds a message with every field defaulted, so call sites name only what matters. */
export function message(fields: Partial<Message> & Pick<Message, 'type'>): Message {
  return {
    groupId: groupId(0),
    to: NO_NODE,
    from: NO_NODE,
    term: term(0),
    logTerm: term(0),
    index: logIndex(0),
    entries: [],
    commit: logIndex(0),
    snapshot: null,
    reject: false,
    rejectHint: logIndex(0),
    context: EMPTY_BYTES,
    ...fields,
  };
}
