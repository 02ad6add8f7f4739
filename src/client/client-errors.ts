// The one error type the client library throws, and the rules that decide, from a failed
// attempt, whether the call may be retried and whether a write may have committed anyway.
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

/**
 * The trailer in which a Beaver-Vault server names its stable error code (src/api/errors.ts).
 * Part of the wire contract (proto/beavervault/v1/kv.proto), spelled here again because the
 * client library imports nothing from the server.
 */
export const ERROR_CODE_TRAILER = 'bvault-error-code';

/** Codes the client gives failures that no server named: the call never got an answer. */
export type ClientOnlyErrorCode =
  | 'CLIENT_UNAVAILABLE'
  | 'CLIENT_DEADLINE_EXCEEDED'
  | 'CLIENT_CLOSED'
  | 'CLIENT_INVALID_ARGUMENT'
  | 'CLIENT_INTERNAL'
  /** The endpoint is a member's REST (HTTP/1.1) port; the message names the gRPC port. */
  | 'CLIENT_HTTP_PORT';

export interface BeaverVaultErrorDetails {
  /** The server's stable code (API_*, MVCC_*, NODE_*, RAFT_*, ...) or a CLIENT_* code. */
  readonly code: string;
  readonly message: string;
  readonly grpcStatus?: GrpcStatus;
  /** Retrying the same request may succeed (on this or another endpoint). */
  readonly retryable: boolean;
  /**
   * The write reached a node but no outcome came back (leadership lost, timeout, connection
   * cut mid-call): it may have committed. Read before writing again.
   */
  readonly mayHaveCommitted: boolean;
  readonly endpoint?: string;
}

export class BeaverVaultError extends Error {
  override readonly name = 'BeaverVaultError';
  readonly code: string;
  readonly grpcStatus: GrpcStatus | undefined;
  readonly retryable: boolean;
  readonly mayHaveCommitted: boolean;
  readonly endpoint: string | undefined;

  constructor(details: BeaverVaultErrorDetails) {
    super(details.message);
    this.code = details.code;
    this.grpcStatus = details.grpcStatus;
    this.retryable = details.retryable;
    this.mayHaveCommitted = details.mayHaveCommitted;
    this.endpoint = details.endpoint;
  }
}

// Refused before anything was proposed: any request may be sent again, elsewhere or later.
// NODE_OVERLOADED (etcd: "too many requests") is refused before proposal too, but is not
// retried here: etcd's clientv3 retries only UNAVAILABLE, and a client that resends a refusal
// at once adds to the overload that caused it. The caller gets it with mayHaveCommitted false.
const REFUSED_BEFORE_PROPOSAL = new Set([
  'NODE_NOT_LEADER',
  'NODE_NO_LEADER',
  'NODE_BUSY',
  'RAFT_NO_LEADER',
  'RAFT_TRANSFER_IN_PROGRESS',
  'RAFT_UNCOMMITTED_LIMIT',
  'RAFT_FORWARDING_DISABLED',
  'API_NOT_READY',
  'MVCC_LEASE_NOT_PRIMARY',
  'RAFT_CONF_CHANGE_PENDING',
  'NODE_NOT_CAUGHT_UP',
]);

// The request was (or may have been) proposed and its outcome is unknown.
const OUTCOME_UNKNOWN = new Set(['NODE_LEADERSHIP_LOST', 'NODE_TIMEOUT', 'NODE_STOPPED', 'MVCC_STORE_CLOSED', 'STORAGE_CLOSED']);

// grpc-js words a failure to connect this way; such a request never left the client.
const NOT_CONNECTED_PATTERN = /No connection established|ECONNREFUSED|Failed to connect|Name resolution failed/i;

/**
 * What one failed attempt means. `idempotent` calls (reads, and writes whose repetition
 * changes nothing) may be retried after an unknown outcome; other writes may not, and the
 * error says they may have committed.
 */
export function errorOfAttempt(error: ServiceError, endpoint: string, idempotent: boolean): BeaverVaultError {
  const serverCode = error.metadata?.get(ERROR_CODE_TRAILER)[0]?.toString();
  const message = error.details || error.message;
  if (serverCode !== undefined) {
    const unknownOutcome = OUTCOME_UNKNOWN.has(serverCode);
    return new BeaverVaultError({
      code: serverCode,
      message,
      grpcStatus: error.code,
      retryable: REFUSED_BEFORE_PROPOSAL.has(serverCode) || (unknownOutcome && idempotent),
      mayHaveCommitted: unknownOutcome && !idempotent,
      endpoint,
    });
  }
  return errorOfTransport(error, message, endpoint, idempotent);
}

function errorOfTransport(error: ServiceError, message: string, endpoint: string, idempotent: boolean): BeaverVaultError {
  const base = { message: `${endpoint}: ${message}`, grpcStatus: error.code, endpoint };
  switch (error.code) {
    case GrpcStatus.UNAVAILABLE: {
      const neverSent = NOT_CONNECTED_PATTERN.test(message);
      return new BeaverVaultError({ ...base, code: 'CLIENT_UNAVAILABLE', retryable: neverSent || idempotent, mayHaveCommitted: !neverSent && !idempotent });
    }
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new BeaverVaultError({ ...base, code: 'CLIENT_DEADLINE_EXCEEDED', retryable: false, mayHaveCommitted: !idempotent });
    case GrpcStatus.CANCELLED:
      return new BeaverVaultError({ ...base, code: 'CLIENT_CLOSED', retryable: false, mayHaveCommitted: !idempotent });
    case GrpcStatus.INVALID_ARGUMENT:
      return new BeaverVaultError({ ...base, code: 'CLIENT_INVALID_ARGUMENT', retryable: false, mayHaveCommitted: false });
    default:
      return new BeaverVaultError({ ...base, code: 'CLIENT_INTERNAL', retryable: false, mayHaveCommitted: false });
  }
}

/** Whether a failure should make the client try another endpoint rather than the same one. */
export function shouldFailOver(error: BeaverVaultError): boolean {
  return error.code === 'CLIENT_UNAVAILABLE' || error.code === 'NODE_STOPPED' || error.code === 'NODE_NOT_LEADER' || error.code === 'API_NOT_READY';
}
