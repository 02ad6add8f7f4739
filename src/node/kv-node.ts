// What one Beaver-Vault node offers the client-facing APIs (REST today, gRPC next). The API
// layers translate their wire formats to these calls and map errors through one registry;
// they never touch Raft, storage or the state machine directly.

import type { KeyRotationResult } from './key-rotation.js';
import type {
  AlarmMember,
  EtcdHashKv,
  LeaseRecord,
  LeaseTimeToLive,
  MvccRequest,
  MvccResponse,
  RangeRequest,
  RangeResponse,
  RestoreRequest,
  Watcher,
  WatchRequest,
} from '../mvcc/index.js';
import type { Caller } from '../auth/auth-state.js';
import type { NodeId, StateType } from '../raft/types.js';

/** Linearizable reads go through ReadIndex; serializable reads are local and may be stale. */
export type ReadConsistency = 'linearizable' | 'serializable';

/**
 * Requests that change state, proposed through Raft (a txn of range operations only is served
 * as a linearizable read). Lease checkpoints and the steps of a restore are the node's own.
 */
export type WriteRequest = Exclude<MvccRequest, { readonly type: 'range' } | { readonly type: 'leaseCheckpoint' } | RestoreRequest>;

export interface WriteOptions {
  /** Gives up waiting after this long; the write may still commit (NODE_TIMEOUT). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Who asks (set by the caller's view, src/auth): apply checks its permissions again. */
  readonly caller?: Caller;
}

export interface ReadOptions {
  readonly consistency?: ReadConsistency;
  readonly timeoutMs?: number;
}

export interface MemberInfo {
  readonly id: NodeId;
  readonly name: string;
  /** host:port of the member's peer (Raft) listener. */
  readonly peerAddress: string;
  /** URLs where clients reach the member's REST API; empty until it announced them. */
  readonly clientUrls: readonly string[];
  /** URLs where clients reach the member's gRPC APIs (etcd's client URLs); empty until it announced them. */
  readonly grpcUrls: readonly string[];
  readonly isLearner: boolean;
}

export interface AddMemberRequest {
  readonly name: string;
  readonly peerAddress: string;
  readonly clientUrls?: readonly string[];
  /** Members join as learners unless told otherwise; a voter joining at once weakens quorum. */
  readonly learner?: boolean;
}

export interface NodeStatus {
  readonly id: NodeId;
  readonly name: string;
  readonly clusterId: string;
  readonly groupId: number;
  readonly version: string;
  readonly role: StateType;
  readonly isLearner: boolean;
  /** NO_NODE (0) when no leader is known. */
  readonly leaderId: NodeId;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly revision: number;
  readonly compactRevision: number;
  readonly dbSizeBytes: number;
  readonly quotaBytes: number;
  readonly alarms: readonly AlarmMember[];
}

/** Where the node stands, read without I/O: what every response header reports. */
export interface NodePosition {
  readonly term: number;
  /** NO_NODE (0) when no leader is known. */
  readonly leaderId: NodeId;
  readonly revision: number;
}

export interface Readiness {
  /** True when a leader is known and this node has applied what it knew was committed. */
  readonly ready: boolean;
  /** Why not, in words an operator can act on; empty when ready. */
  readonly reason: string;
}

export interface KvNode {
  readonly id: NodeId;
  readonly name: string;
  readonly clusterId: string;

  /** Proposes through Raft (forwarded to the leader from a follower) and resolves when applied here. */
  write(request: WriteRequest, options?: WriteOptions): Promise<MvccResponse>;
  range(request: RangeRequest, options?: ReadOptions): Promise<RangeResponse>;
  /** A watch on this node's applied state; events arrive in revision order. */
  watch(request: WatchRequest): Watcher;

  /** Renews a lease at the leader (forwarded from a follower); resolves to the TTL in seconds. */
  leaseKeepAlive(id: number): Promise<number>;
  /** Remaining TTL as the leader sees it, with the attached keys if asked. */
  leaseTimeToLive(id: number, withKeys: boolean): Promise<LeaseTimeToLive & { readonly remainingTtl: number }>;
  leases(): Promise<LeaseRecord[]>;

  members(): readonly MemberInfo[];
  addMember(request: AddMemberRequest): Promise<MemberInfo>;
  /**
   * Tells an added member that waits to be added (wait-for-join) which cluster it is in, in the
   * background, until it accepts; resolves true then, false if it never needed or took it.
   */
  inviteMember(id: NodeId): Promise<boolean>;
  /** Makes a learner a voter; refused until the learner has caught up with the leader. */
  promoteMember(id: NodeId): Promise<void>;
  /** Gives a member a new peer address (etcd's MemberUpdate): the others dial it there from then on. */
  updateMember(id: NodeId, peerAddress: string): Promise<void>;
  removeMember(id: NodeId): Promise<void>;
  /** Moves leadership to `to`, or to the most caught-up voter when omitted. */
  transferLeadership(to?: NodeId): Promise<void>;

  status(): Promise<NodeStatus>;
  /** The term, leader and revision for a response header; cheap enough for every response. */
  position(): NodePosition;
  readiness(): Readiness;

  /** A consistent snapshot of the state machine, as a checksummed byte stream. */
  backup(): AsyncIterable<Uint8Array>;
  /**
   * Replaces the whole cluster's state with a backup, replicated through Raft; resolves once
   * applied on this node. A corrupt backup is refused (MVCC_SNAPSHOT_INVALID) before anything
   * changes; a second restore while one runs on this node gets NODE_BUSY.
   */
  restore(stream: AsyncIterable<Uint8Array>): Promise<void>;
  /** etcd's HashKV of this member's history up to a revision (0: the current one); see mvcc/etcd-hash.ts. */
  hashKv(revision: number): Promise<EtcdHashKv>;
  /** Resolves once this member has physically removed the history below its compact revision (etcd's `physical` compaction). */
  waitForCompaction(): Promise<void>;
  /** Reclaims this node's disk space after compaction (etcd's Defragment); local, not replicated. */
  defragment(): Promise<void>;
  /**
   * Re-reads this member's encryption key file and re-seals all its data under the newest key
   * (local, like defragment); resolves once no file needs an older key. ENCRYPTION_OFF without
   * a key file; ENCRYPTION_ROTATION_REFUSED or ENCRYPTION_KEY_MISSING when the re-read file
   * lacks a key the data still needs; NODE_BUSY while another rotation runs.
   */
  rotateEncryptionKey(): Promise<KeyRotationResult>;

  /** Stops serving; a leader first hands leadership to another voter. */
  close(): Promise<void>;
}
