// The client APIs' error registry. It holds the API's own codes (API_*) with their message
// templates, and one table that maps every code a client can meet — API_*, MVCC_*, NODE_*,
// RAFT_*, STORAGE_* — to an HTTP status and a gRPC status, so the REST and gRPC servers
// answer the same condition the same way. Codes are stable and never reused. A second table
// gives the etcd v3 services etcd's own gRPC code and message (its rpctypes) for the
// conditions etcd clients recognise by text, such as "etcdserver: no leader".
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { EncryptionErrorCode } from '../encryption/errors.js';
import type { MvccErrorCode } from '../mvcc/index.js';
import type { NodeErrorCode } from '../node/errors.js';
import type { RaftErrorCode, StorageErrorCode } from '../raft/errors.js';
import type { DurableStorageErrorCode } from '../storage/errors.js';

const apiTemplates = {
  API_INVALID_KEY_ENCODING: 'the request path is not valid percent-encoded UTF-8: {reason}',
  API_INVALID_PARAMETER: 'invalid {name}: {reason}',
  API_MALFORMED_JSON: 'the request body is not valid JSON: {reason}',
  API_INVALID_BODY: 'invalid request body: {reason}',
  API_UNKNOWN_FIELD: 'unknown field "{name}" in {location}; {hint}',
  API_REQUEST_TOO_LARGE: 'the request body exceeds the limit of {limit} bytes',
  API_PRECONDITION_FAILED: 'precondition failed: {reason}',
  API_KEY_NOT_FOUND: 'key not found: {name}',
  API_ROUTE_NOT_FOUND: 'no route for {name}',
  API_MEMBER_NOT_FOUND: 'no member named or numbered {name}',
  API_NOT_READY: 'the node is not ready: {reason}',
  API_WATCH_CANCELED: 'the watch was canceled: {reason}',
  API_INTERNAL: 'internal error: {reason}',
  API_INVALID_CREDENTIALS: 'the credentials in {name} cannot be used: {reason}',
} as const;

export type ApiErrorCode = keyof typeof apiTemplates;

export type ClientErrorCode = ApiErrorCode | MvccErrorCode | NodeErrorCode | RaftErrorCode | StorageErrorCode | DurableStorageErrorCode | EncryptionErrorCode;

export interface ErrorStatus {
  readonly http: number;
  readonly grpc: GrpcStatus;
  /** Set on conditions that pass by themselves: the HTTP answer carries Retry-After. */
  readonly retryAfterSeconds?: number;
}

const badRequest: ErrorStatus = { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT };
const internal: ErrorStatus = { http: 500, grpc: GrpcStatus.INTERNAL };
const unavailable: ErrorStatus = { http: 503, grpc: GrpcStatus.UNAVAILABLE, retryAfterSeconds: 1 };
const tooLarge: ErrorStatus = { http: 413, grpc: GrpcStatus.INVALID_ARGUMENT };
const authPrecondition: ErrorStatus = { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION };

const apiStatuses: Record<ApiErrorCode, ErrorStatus> = {
  API_INVALID_KEY_ENCODING: badRequest,
  API_INVALID_PARAMETER: badRequest,
  API_MALFORMED_JSON: badRequest,
  API_INVALID_BODY: badRequest,
  API_UNKNOWN_FIELD: badRequest,
  API_REQUEST_TOO_LARGE: tooLarge,
  API_PRECONDITION_FAILED: { http: 412, grpc: GrpcStatus.FAILED_PRECONDITION },
  API_KEY_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  API_ROUTE_NOT_FOUND: { http: 404, grpc: GrpcStatus.UNIMPLEMENTED },
  API_MEMBER_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  API_NOT_READY: unavailable,
  API_WATCH_CANCELED: unavailable,
  API_INTERNAL: internal,
  API_INVALID_CREDENTIALS: badRequest,
};

const mvccStatuses: Record<MvccErrorCode, ErrorStatus> = {
  MVCC_EMPTY_KEY: badRequest,
  // The key travels in the URL, so an oversized key is a bad request rather than a large body.
  MVCC_KEY_TOO_LARGE: badRequest,
  MVCC_VALUE_TOO_LARGE: tooLarge,
  MVCC_REQUEST_TOO_LARGE: tooLarge,
  MVCC_TOO_MANY_TXN_OPS: badRequest,
  MVCC_DUPLICATE_KEY_IN_TXN: badRequest,
  MVCC_KEY_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  MVCC_VALUE_PROVIDED: badRequest,
  MVCC_LEASE_PROVIDED: badRequest,
  MVCC_LEASE_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  MVCC_LEASE_EXISTS: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION },
  MVCC_LEASE_TTL_TOO_LARGE: badRequest,
  MVCC_LEASE_NOT_PRIMARY: unavailable,
  // History below the compact revision is gone for good: 410, as etcd answers OutOfRange.
  MVCC_COMPACTED: { http: 410, grpc: GrpcStatus.OUT_OF_RANGE },
  MVCC_FUTURE_REV: { http: 400, grpc: GrpcStatus.OUT_OF_RANGE },
  MVCC_NOSPACE: { http: 507, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  MVCC_INVALID_ARGUMENT: badRequest,
  MVCC_MALFORMED_REQUEST: badRequest,
  MVCC_SNAPSHOT_INVALID: badRequest,
  MVCC_STORE_CLOSED: unavailable,
  // The gRPC codes are etcd's own (rpctypes), so the etcd services pass these through unchanged.
  AUTH_ROOT_USER_NOT_EXIST: authPrecondition,
  AUTH_ROOT_ROLE_NOT_EXIST: authPrecondition,
  AUTH_USER_ALREADY_EXIST: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION },
  AUTH_USER_EMPTY: { http: 401, grpc: GrpcStatus.INVALID_ARGUMENT },
  AUTH_USER_NOT_FOUND: { http: 404, grpc: GrpcStatus.FAILED_PRECONDITION },
  AUTH_ROLE_ALREADY_EXIST: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION },
  AUTH_ROLE_NOT_FOUND: { http: 404, grpc: GrpcStatus.FAILED_PRECONDITION },
  AUTH_ROLE_EMPTY: badRequest,
  AUTH_FAILED: { http: 401, grpc: GrpcStatus.INVALID_ARGUMENT },
  AUTH_PERMISSION_NOT_GIVEN: badRequest,
  AUTH_PERMISSION_DENIED: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED },
  AUTH_ROLE_NOT_GRANTED: authPrecondition,
  AUTH_PERMISSION_NOT_GRANTED: authPrecondition,
  AUTH_NOT_ENABLED: authPrecondition,
  AUTH_INVALID_TOKEN: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  AUTH_INVALID_MGMT: badRequest,
  // A client re-authenticates and retries (etcd's clients do it on this text).
  AUTH_OLD_REVISION: { http: 401, grpc: GrpcStatus.INVALID_ARGUMENT },
  AUTH_TOO_MANY_FAILED_ATTEMPTS: { http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  AUTH_LIMIT_EXCEEDED: badRequest,
};

// Both leadership-lost and timeout mean the write may still commit; the node's messages say so.
const nodeStatuses: Record<NodeErrorCode, ErrorStatus> = {
  NODE_NOT_LEADER: unavailable,
  NODE_NO_LEADER: unavailable,
  NODE_LEADERSHIP_LOST: unavailable,
  NODE_TIMEOUT: unavailable,
  NODE_STOPPED: unavailable,
  NODE_BUSY: unavailable,
  // A full queue: nothing was proposed, and the same request may succeed after a back-off.
  NODE_OVERLOADED: { http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED, retryAfterSeconds: 1 },
  NODE_NOT_CAUGHT_UP: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, retryAfterSeconds: 1 },
  NODE_UNKNOWN_MEMBER: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  NODE_INVALID_MEMBERSHIP: badRequest,
  // A removed member will never serve again; retrying it is pointless.
  NODE_REMOVED: { http: 410, grpc: GrpcStatus.FAILED_PRECONDITION },
  NODE_DATA_DIR_LOCKED: internal,
  NODE_CLUSTER_MISMATCH: internal,
  NODE_IDENTITY_MISMATCH: internal,
  NODE_IDENTITY_INVALID: internal,
  NODE_SNAPSHOT_MISSING: internal,
  NODE_INVALID_OPTIONS: internal,
};

const raftStatuses: Record<RaftErrorCode | StorageErrorCode, ErrorStatus> = {
  RAFT_NO_LEADER: unavailable,
  RAFT_TRANSFER_IN_PROGRESS: unavailable,
  RAFT_UNCOMMITTED_LIMIT: unavailable,
  RAFT_FORWARDING_DISABLED: unavailable,
  RAFT_NOT_MEMBER: { http: 503, grpc: GrpcStatus.UNAVAILABLE },
  RAFT_CONF_CHANGE_PENDING: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, retryAfterSeconds: 1 },
  RAFT_INVALID_CONF_CHANGE: badRequest,
  RAFT_TRANSFER_TO_LEARNER: badRequest,
  RAFT_UNKNOWN_NODE: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  RAFT_LOCAL_MESSAGE_FROM_PEER: internal,
  RAFT_WRONG_GROUP: internal,
  RAFT_INVALID_CONFIG: internal,
  RAFT_STORAGE_COMPACTED: internal,
  RAFT_STORAGE_UNAVAILABLE: internal,
  RAFT_STORAGE_SNAPSHOT_OUT_OF_DATE: internal,
  RAFT_STORAGE_SNAPSHOT_TEMPORARILY_UNAVAILABLE: unavailable,
};

const storageStatuses: Record<DurableStorageErrorCode, ErrorStatus> = {
  STORAGE_CORRUPT: internal,
  STORAGE_SNAPSHOT_CHECKSUM: internal,
  STORAGE_FAILED: internal,
  STORAGE_CLOSED: unavailable,
  STORAGE_INVALID_OPTIONS: internal,
};

// A missing key or a key file to fix is the operator's to resolve on this member; a record that
// fails authentication is damaged data, never returned.
const encryptionStatuses: Record<EncryptionErrorCode, ErrorStatus> = {
  ENCRYPTION_KEY_FILE_INVALID: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION },
  ENCRYPTION_KEY_MISSING: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION },
  ENCRYPTION_AUTHENTICATION_FAILED: internal,
  ENCRYPTION_RECORD_MALFORMED: internal,
  ENCRYPTION_OFF: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION },
  ENCRYPTION_ROTATION_REFUSED: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION },
};

const statuses: ReadonlyMap<string, ErrorStatus> = new Map(
  Object.entries({ ...apiStatuses, ...mvccStatuses, ...nodeStatuses, ...raftStatuses, ...storageStatuses, ...encryptionStatuses }),
);

export interface ApiErrorDetails {
  readonly name?: string;
  readonly reason?: string;
  readonly limit?: number;
  /** Where an unknown field was found: "the request body", "the query string" or a path in the body. */
  readonly location?: string;
  /** What the client probably meant: the closest valid name, or the valid names. */
  readonly hint?: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly code: ApiErrorCode,
    readonly details: ApiErrorDetails = {},
  ) {
    super(apiTemplates[code].replace(/\{(\w+)\}/g, (_match, field: string) => String((details as Record<string, unknown>)[field] ?? '?')));
  }
}

/** What a client is told about an error: the code, the message and how to answer it. */
export interface ClientError {
  readonly code: string;
  readonly message: string;
  readonly status: ErrorStatus;
}

/** Any error with a registered code keeps its code and message; everything else is API_INTERNAL. */
export function toClientError(error: unknown): ClientError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const status = typeof code === 'string' ? statuses.get(code) : undefined;
    if (status !== undefined) return { code: code as string, message: error.message, status };
  }
  const internalError = new ApiError('API_INTERNAL', { reason: error instanceof Error ? error.message : String(error) });
  return { code: internalError.code, message: internalError.message, status: apiStatuses.API_INTERNAL };
}

export function errorStatus(code: ClientErrorCode): ErrorStatus {
  return statuses.get(code) ?? apiStatuses.API_INTERNAL;
}

/** How the etcd v3 services answer a condition: etcd's gRPC code and its exact message. */
export interface EtcdError {
  readonly grpc: GrpcStatus;
  readonly message: string;
}

const requestTooLarge: EtcdError = { grpc: GrpcStatus.INVALID_ARGUMENT, message: 'etcdserver: request is too large' };
const noLeader: EtcdError = { grpc: GrpcStatus.UNAVAILABLE, message: 'etcdserver: no leader' };
const memberNotFound: EtcdError = { grpc: GrpcStatus.NOT_FOUND, message: 'etcdserver: member not found' };

// Only conditions where etcd's text or code differs from the registry's; the MVCC messages that
// already are etcd's text (compacted, future revision, lease not found, duplicate key, ...) pass through.
const etcdErrors: Partial<Record<ClientErrorCode, EtcdError>> = {
  API_REQUEST_TOO_LARGE: requestTooLarge,
  MVCC_KEY_TOO_LARGE: requestTooLarge,
  MVCC_VALUE_TOO_LARGE: requestTooLarge,
  MVCC_REQUEST_TOO_LARGE: requestTooLarge,
  MVCC_KEY_NOT_FOUND: { grpc: GrpcStatus.INVALID_ARGUMENT, message: 'etcdserver: key not found' },
  MVCC_TOO_MANY_TXN_OPS: { grpc: GrpcStatus.INVALID_ARGUMENT, message: 'etcdserver: too many operations in txn request' },
  MVCC_LEASE_NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, message: 'etcdserver: requested lease not found' },
  MVCC_LEASE_TTL_TOO_LARGE: { grpc: GrpcStatus.OUT_OF_RANGE, message: 'etcdserver: too large lease TTL' },
  MVCC_LEASE_NOT_PRIMARY: { grpc: GrpcStatus.UNAVAILABLE, message: 'etcdserver: not primary' },
  NODE_NOT_LEADER: noLeader,
  NODE_NO_LEADER: noLeader,
  RAFT_NO_LEADER: noLeader,
  NODE_TIMEOUT: { grpc: GrpcStatus.UNAVAILABLE, message: 'etcdserver: request timed out' },
  NODE_OVERLOADED: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, message: 'etcdserver: too many requests' },
  NODE_LEADERSHIP_LOST: { grpc: GrpcStatus.UNAVAILABLE, message: 'etcdserver: leader changed' },
  NODE_STOPPED: { grpc: GrpcStatus.UNAVAILABLE, message: 'etcdserver: server stopped' },
  NODE_UNKNOWN_MEMBER: memberNotFound,
  RAFT_UNKNOWN_NODE: memberNotFound,
  NODE_NOT_CAUGHT_UP: { grpc: GrpcStatus.FAILED_PRECONDITION, message: 'etcdserver: can only promote a learner member which is in sync with leader' },
  NODE_REMOVED: { grpc: GrpcStatus.FAILED_PRECONDITION, message: 'etcdserver: the member has been permanently removed from the cluster' },
};

/** The etcd-compatible answer to an error: etcd's code and text where it has one, else the registry's. */
export function toEtcdError(error: unknown): EtcdError {
  const clientError = toClientError(error);
  return etcdErrors[clientError.code as ClientErrorCode] ?? { grpc: clientError.status.grpc, message: clientError.message };
}
