// Requests the state machine applies and the responses it returns, shaped like etcd's
// RangeRequest, PutRequest, DeleteRangeRequest, TxnRequest, Compare, LeaseGrantRequest,
// LeaseRevokeRequest, LeaseCheckpointRequest, CompactionRequest and AlarmRequest.
import type { AuthRequest, AuthResponse } from '../auth/auth-requests.js';
import type { Caller } from '../auth/auth-state.js';
import type { KeyValue, LeaseId, ResponseHeader } from './types.js';

export const SortOrder = { None: 0, Ascend: 1, Descend: 2 } as const;
export type SortOrder = (typeof SortOrder)[keyof typeof SortOrder];
export const SortTarget = { Key: 0, Version: 1, Create: 2, Mod: 3, Value: 4 } as const;
export type SortTarget = (typeof SortTarget)[keyof typeof SortTarget];

/** `rangeEnd` empty means the single key; `[0]` means every key >= `key` (as in etcd). */
export interface RangeRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  /** 0 means no limit. */
  readonly limit?: number;
  /** 0 means the latest revision. */
  readonly revision?: number;
  readonly sortOrder?: SortOrder;
  readonly sortTarget?: SortTarget;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  readonly minModRevision?: number;
  readonly maxModRevision?: number;
  readonly minCreateRevision?: number;
  readonly maxCreateRevision?: number;
}

export interface PutRequest {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly lease?: number;
  readonly prevKv?: boolean;
  readonly ignoreValue?: boolean;
  readonly ignoreLease?: boolean;
  /** Native metadata; treated as part of the value (kept by ignoreValue, replaced by a put). */
  readonly contentType?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface DeleteRangeRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly prevKv?: boolean;
}

export const CompareResult = { Equal: 0, Greater: 1, Less: 2, NotEqual: 3 } as const;
export type CompareResult = (typeof CompareResult)[keyof typeof CompareResult];

/** One compare; the target field selects which of the operands is used (etcd's target_union). */
export type Compare = {
  readonly result: CompareResult;
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
} & (
  | { readonly target: 'version'; readonly version: number }
  | { readonly target: 'create'; readonly createRevision: number }
  | { readonly target: 'mod'; readonly modRevision: number }
  | { readonly target: 'value'; readonly value: Uint8Array }
  | { readonly target: 'lease'; readonly lease: number }
);

export type RequestOp =
  | { readonly type: 'range'; readonly range: RangeRequest }
  | { readonly type: 'put'; readonly put: PutRequest }
  | { readonly type: 'deleteRange'; readonly deleteRange: DeleteRangeRequest }
  | { readonly type: 'txn'; readonly txn: TxnRequest };

export interface TxnRequest {
  readonly compare: ReadonlyArray<Compare>;
  readonly success: ReadonlyArray<RequestOp>;
  readonly failure: ReadonlyArray<RequestOp>;
}

export interface CompactionRequest {
  readonly revision: number;
}

export interface LeaseGrantRequest {
  /** Seconds. */
  readonly ttl: number;
  /** 0 lets the store choose an unused id. */
  readonly id?: number;
}

export interface LeaseRevokeRequest {
  readonly id: number;
}

export interface LeaseCheckpoint {
  readonly id: number;
  /** Seconds; 0 means "the full TTL" (as after a keep-alive). */
  readonly remainingTtl: number;
}

export interface LeaseCheckpointRequest {
  readonly checkpoints: ReadonlyArray<LeaseCheckpoint>;
}

export const AlarmType = { None: 0, NoSpace: 1, Corrupt: 2 } as const;
export type AlarmType = (typeof AlarmType)[keyof typeof AlarmType];
export const AlarmAction = { Get: 0, Activate: 1, Deactivate: 2 } as const;
export type AlarmAction = (typeof AlarmAction)[keyof typeof AlarmAction];

export interface AlarmRequest {
  readonly action: AlarmAction;
  readonly memberId: number;
  readonly alarm: AlarmType;
}

export interface AlarmMember {
  readonly memberId: number;
  readonly alarm: AlarmType;
}

/**
 * A cluster-wide restore replicated in steps (no single entry holds a whole backup): begin
 * names the backup's size and SHA-256, chunks are staged in the replicated state, and commit
 * replaces the state with the staged backup.
 */
export interface RestoreBeginRequest {
  readonly id: number;
  readonly totalBytes: number;
  /** SHA-256 of the whole backup stream. */
  readonly checksum: Uint8Array;
}

export interface RestoreChunkRequest {
  readonly id: number;
  /** 0 for the first chunk; commit needs every sequence number from 0 without a gap. */
  readonly sequence: number;
  readonly bytes: Uint8Array;
}

export interface RestoreCommitRequest {
  readonly id: number;
}

/** What a Raft entry carries (etcd's InternalRaftRequest). */
export type MvccRequest =
  | { readonly type: 'range'; readonly range: RangeRequest }
  | { readonly type: 'put'; readonly put: PutRequest }
  | { readonly type: 'deleteRange'; readonly deleteRange: DeleteRangeRequest }
  | { readonly type: 'txn'; readonly txn: TxnRequest }
  | { readonly type: 'compaction'; readonly compaction: CompactionRequest }
  | { readonly type: 'leaseGrant'; readonly leaseGrant: LeaseGrantRequest }
  | { readonly type: 'leaseRevoke'; readonly leaseRevoke: LeaseRevokeRequest }
  | { readonly type: 'leaseCheckpoint'; readonly leaseCheckpoint: LeaseCheckpointRequest }
  | { readonly type: 'alarm'; readonly alarm: AlarmRequest }
  | { readonly type: 'restoreBegin'; readonly restoreBegin: RestoreBeginRequest }
  | { readonly type: 'restoreChunk'; readonly restoreChunk: RestoreChunkRequest }
  | { readonly type: 'restoreCommit'; readonly restoreCommit: RestoreCommitRequest }
  | { readonly type: 'auth'; readonly auth: AuthRequest };

/** The steps of a cluster-wide restore: the node proposes them, clients never send them. */
export type RestoreRequest = Extract<MvccRequest, { readonly type: 'restoreBegin' | 'restoreChunk' | 'restoreCommit' }>;

/** A request plus the proposer's clock reading, so that apply never reads the local clock. */
export interface RequestEnvelope {
  readonly timestampMs: number;
  readonly request: MvccRequest;
  /**
   * Who asked, for a client's request (etcd's RequestHeader username and auth revision): apply
   * checks its permissions again against the auth state of that moment. Absent for the node's
   * own requests (lease expiry, checkpoints, restore steps, automatic compaction).
   */
  readonly caller?: Caller;
}

export interface RangeResponse {
  readonly header: ResponseHeader;
  readonly kvs: KeyValue[];
  readonly more: boolean;
  readonly count: number;
}

export interface PutResponse {
  readonly header: ResponseHeader;
  readonly prevKv?: KeyValue;
}

export interface DeleteRangeResponse {
  readonly header: ResponseHeader;
  readonly deleted: number;
  readonly prevKvs: KeyValue[];
}

export type ResponseOp =
  | { readonly type: 'range'; readonly range: RangeResponse }
  | { readonly type: 'put'; readonly put: PutResponse }
  | { readonly type: 'deleteRange'; readonly deleteRange: DeleteRangeResponse }
  | { readonly type: 'txn'; readonly txn: TxnResponse };

export interface TxnResponse {
  readonly header: ResponseHeader;
  readonly succeeded: boolean;
  readonly responses: ResponseOp[];
}

export interface LeaseGrantResponse {
  readonly header: ResponseHeader;
  readonly id: LeaseId;
  readonly ttl: number;
}

export interface AlarmResponse {
  readonly header: ResponseHeader;
  readonly alarms: AlarmMember[];
}

export type MvccResponse =
  | { readonly type: 'range'; readonly range: RangeResponse }
  | { readonly type: 'put'; readonly put: PutResponse }
  | { readonly type: 'deleteRange'; readonly deleteRange: DeleteRangeResponse }
  | { readonly type: 'txn'; readonly txn: TxnResponse }
  | { readonly type: 'compaction'; readonly compaction: { readonly header: ResponseHeader } }
  | { readonly type: 'leaseGrant'; readonly leaseGrant: LeaseGrantResponse }
  | { readonly type: 'leaseRevoke'; readonly leaseRevoke: { readonly header: ResponseHeader } }
  | { readonly type: 'leaseCheckpoint'; readonly leaseCheckpoint: { readonly header: ResponseHeader } }
  | { readonly type: 'alarm'; readonly alarm: AlarmResponse }
  | { readonly type: 'restoreBegin'; readonly restoreBegin: { readonly header: ResponseHeader } }
  | { readonly type: 'restoreChunk'; readonly restoreChunk: { readonly header: ResponseHeader } }
  | { readonly type: 'restoreCommit'; readonly restoreCommit: { readonly header: ResponseHeader } }
  | { readonly type: 'auth'; readonly auth: AuthResponse & { readonly header: ResponseHeader } };
