// The gRPC APIs' limits. Key, value and transaction limits are checked with the state
// machine's own validation before anything is proposed, so they must equal the limits the
// node's store applies; a message above requestBytesMax is refused by grpc-js before it is
// decoded (RESOURCE_EXHAUSTED).
import { type MvccLimits, resolveLimits } from '../../mvcc/index.js';

export interface GrpcLimits {
  readonly keyBytesMax: number;
  readonly valueBytesMax: number;
  /** Operations per transaction list, and keys per batch request. */
  readonly txnOperationsMax: number;
  /** The largest message a client may send; a larger one is refused before it is decoded. */
  readonly requestBytesMax: number;
  /** A list page holds at most this many keys, whatever `limit` asks. */
  readonly listPageKeysMax: number;
  /** Bytes of backup data per Backup message. */
  readonly backupChunkBytesMax: number;
}

export const DEFAULT_GRPC_LIMITS: GrpcLimits = Object.freeze({
  keyBytesMax: 1024,
  valueBytesMax: 16 * 1024 * 1024,
  txnOperationsMax: 128,
  requestBytesMax: 32 * 1024 * 1024,
  listPageKeysMax: 1000,
  backupChunkBytesMax: 1024 * 1024,
});

/** Validated, frozen limits; every problem is listed in one RangeError. */
export function resolveGrpcLimits(overrides: Partial<GrpcLimits> = {}): GrpcLimits {
  const limits = { ...DEFAULT_GRPC_LIMITS, ...overrides };
  const problems: string[] = [];
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) problems.push(`${name} must be a positive integer (got ${value})`);
  }
  if (limits.valueBytesMax > limits.requestBytesMax) problems.push('valueBytesMax must not exceed requestBytesMax');
  if (limits.backupChunkBytesMax > limits.requestBytesMax) problems.push('backupChunkBytesMax must not exceed requestBytesMax');
  if (problems.length > 0) throw new RangeError(`invalid gRPC API limits: ${problems.join('; ')}`);
  return Object.freeze(limits);
}

/** The same limits in the state machine's terms, for validateRequest. */
export function mvccLimitsOf(limits: GrpcLimits): MvccLimits {
  return resolveLimits({
    keyBytesMax: limits.keyBytesMax,
    valueBytesMax: limits.valueBytesMax,
    txnOperationsMax: limits.txnOperationsMax,
    requestBytesMax: limits.requestBytesMax,
  });
}
