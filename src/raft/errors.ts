// The consensus core's error registry. Each code is stable and never reused; operating errors
// are returned as values (RaftError) so the caller decides what to do, while programmer
// errors (a broken invariant) throw and crash.

export const RaftErrorCode = {
  /** No leader is known; the proposal was not accepted. Retry once a leader is elected. */
  NoLeader: 'RAFT_NO_LEADER',
  /** A leadership transfer is under way; proposals are refused until it ends. */
  TransferInProgress: 'RAFT_TRANSFER_IN_PROGRESS',
  /** The leader holds too many uncommitted bytes; retry after commits catch up. */
  UncommittedLimit: 'RAFT_UNCOMMITTED_LIMIT',
  /** Followers are configured not to forward proposals. */
  ForwardingDisabled: 'RAFT_FORWARDING_DISABLED',
  /** This node was removed from the configuration and cannot propose. */
  NotMember: 'RAFT_NOT_MEMBER',
  /**
   * A configuration change is already pending (one change at a time), or a new leader has not
   * yet committed an entry of its own term, before which it cannot know what is pending.
   */
  ConfChangePending: 'RAFT_CONF_CHANGE_PENDING',
  /** The requested configuration change is invalid (for example, it removes every voter). */
  InvalidConfChange: 'RAFT_INVALID_CONF_CHANGE',
  /** Leadership cannot be transferred to a learner. */
  TransferToLearner: 'RAFT_TRANSFER_TO_LEARNER',
  /** The named node is not a member of the configuration. */
  UnknownNode: 'RAFT_UNKNOWN_NODE',
  /** A local-only message type arrived from the network. */
  LocalMessageFromPeer: 'RAFT_LOCAL_MESSAGE_FROM_PEER',
  /** The message belongs to another Raft group. */
  WrongGroup: 'RAFT_WRONG_GROUP',
  /** The configuration is invalid; the message lists every problem. */
  InvalidConfig: 'RAFT_INVALID_CONFIG',
} as const;

export type RaftErrorCode = (typeof RaftErrorCode)[keyof typeof RaftErrorCode];

export class RaftError extends Error {
  constructor(
    readonly code: RaftErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RaftError';
  }
}

export const StorageErrorCode = {
  /** The requested index is at or below the first index: it was compacted into a snapshot. */
  Compacted: 'RAFT_STORAGE_COMPACTED',
  /** The requested index is past the last index. */
  Unavailable: 'RAFT_STORAGE_UNAVAILABLE',
  /** The snapshot offered is older than the one storage already holds. */
  SnapshotOutOfDate: 'RAFT_STORAGE_SNAPSHOT_OUT_OF_DATE',
  /** The snapshot is being produced; ask again later. */
  SnapshotTemporarilyUnavailable: 'RAFT_STORAGE_SNAPSHOT_TEMPORARILY_UNAVAILABLE',
} as const;

export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

/** Thrown by Storage reads; the Raft log catches the codes it can handle. */
export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

/** Fails loudly on a broken invariant: these are bugs, never operating conditions. */
export function assert(condition: unknown, explanation: string): asserts condition {
  if (!condition) throw new Error(`raft invariant violated: ${explanation}`);
}
