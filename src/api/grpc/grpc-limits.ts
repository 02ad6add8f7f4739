// The gRPC APIs' limits: the state machine's limits, checked with its own validation before
// anything is proposed (so they must equal the limits the node's store applies), plus the
// APIs' own bounds. A message above requestBytesMax is refused by grpc-js before it is decoded
// (RESOURCE_EXHAUSTED).
import { DEFAULT_LIMITS, type MvccLimits, positiveIntegerProblems, resolveLimits } from '../../mvcc/index.js';

export interface GrpcLimits extends MvccLimits {
  /** A list page holds at most this many keys, whatever `limit` asks. */
  readonly listPageKeysMax: number;
  /** Bytes of backup data per Backup message. */
  readonly backupChunkBytesMax: number;
  /**
   * Calls one client connection may have open at once (HTTP/2 max concurrent streams); a
   * client queues the rest itself. Bounds what the server reads before its own queues can
   * refuse: without it, 1,250 calls of 64 KiB on one connection failed the connection.
   */
  readonly concurrentStreamsMax: number;
}

export const DEFAULT_GRPC_LIMITS: GrpcLimits = Object.freeze({ ...DEFAULT_LIMITS, listPageKeysMax: 1000, backupChunkBytesMax: 1024 * 1024, concurrentStreamsMax: 256 });

/** Validated, frozen limits; every problem is listed in one RangeError. */
export function resolveGrpcLimits(overrides: Partial<GrpcLimits> = {}): GrpcLimits {
  const { listPageKeysMax, backupChunkBytesMax, concurrentStreamsMax, ...stateMachine } = { ...DEFAULT_GRPC_LIMITS, ...overrides };
  const problems = positiveIntegerProblems({ listPageKeysMax, backupChunkBytesMax, concurrentStreamsMax });
  if (stateMachine.valueBytesMax > stateMachine.requestBytesMax) problems.push('valueBytesMax must not exceed requestBytesMax');
  if (backupChunkBytesMax > stateMachine.requestBytesMax) problems.push('backupChunkBytesMax must not exceed requestBytesMax');
  if (problems.length > 0) throw new RangeError(`invalid gRPC API limits: ${problems.join('; ')}`);
  return Object.freeze({ ...resolveLimits(stateMachine), listPageKeysMax, backupChunkBytesMax, concurrentStreamsMax });
}
