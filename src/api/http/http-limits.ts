// The REST API's limits (DESIGN section 5). The key, value and transaction limits are checked
// here with the state machine's own validation before anything is proposed, so an oversized
// request never reaches the Raft log; they must equal the limits the node's store applies.
import { type MvccLimits, resolveLimits } from '../../mvcc/index.js';

export interface HttpLimits {
  readonly keyBytesMax: number;
  readonly valueBytesMax: number;
  /** Operations per transaction list, and keys per batch request. */
  readonly txnOperationsMax: number;
  /** Larger bodies are refused with 413 before they are read completely. */
  readonly requestBodyBytesMax: number;
  /** A list page holds at most this many keys, whatever `limit` asks. */
  readonly listPageKeysMax: number;
  /** How often an idle watch stream sends a keep-alive comment. */
  readonly watchKeepAliveMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = Object.freeze({
  keyBytesMax: 1024,
  valueBytesMax: 16 * 1024 * 1024,
  txnOperationsMax: 128,
  requestBodyBytesMax: 32 * 1024 * 1024,
  listPageKeysMax: 1000,
  watchKeepAliveMs: 15_000,
});

/** Validated, frozen limits; every problem is listed in one RangeError. */
export function resolveHttpLimits(overrides: Partial<HttpLimits> = {}): HttpLimits {
  const limits = { ...DEFAULT_HTTP_LIMITS, ...overrides };
  const problems: string[] = [];
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) problems.push(`${name} must be a positive integer (got ${value})`);
  }
  if (limits.valueBytesMax > limits.requestBodyBytesMax) problems.push('valueBytesMax must not exceed requestBodyBytesMax');
  if (problems.length > 0) throw new RangeError(`invalid HTTP API limits: ${problems.join('; ')}`);
  return Object.freeze(limits);
}

/** The same limits in the state machine's terms, for validateRequest. */
export function mvccLimitsOf(limits: HttpLimits): MvccLimits {
  return resolveLimits({
    keyBytesMax: limits.keyBytesMax,
    valueBytesMax: limits.valueBytesMax,
    txnOperationsMax: limits.txnOperationsMax,
    requestBytesMax: limits.requestBodyBytesMax,
  });
}
