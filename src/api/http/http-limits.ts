// The REST API's limits: the state machine's limits, checked here with its
// own validation before anything is proposed so that an oversized request never reaches the
// Raft log (they must equal the limits the node's store applies), plus the API's own bounds.
import { DEFAULT_LIMITS, type MvccLimits, positiveIntegerProblems, resolveLimits } from '../../mvcc/index.js';

export interface HttpLimits extends MvccLimits {
  /** A list page holds at most this many keys, whatever `limit` asks. */
  readonly listPageKeysMax: number;
  /** How often an idle watch stream sends a keep-alive comment. */
  readonly watchKeepAliveMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = Object.freeze({ ...DEFAULT_LIMITS, listPageKeysMax: 1000, watchKeepAliveMs: 15_000 });

/** Validated, frozen limits; every problem is listed in one RangeError. A larger body is refused with 413. */
export function resolveHttpLimits(overrides: Partial<HttpLimits> = {}): HttpLimits {
  const { listPageKeysMax, watchKeepAliveMs, ...stateMachine } = { ...DEFAULT_HTTP_LIMITS, ...overrides };
  const problems = positiveIntegerProblems({ listPageKeysMax, watchKeepAliveMs });
  if (stateMachine.valueBytesMax > stateMachine.requestBytesMax) problems.push('valueBytesMax must not exceed requestBytesMax');
  if (problems.length > 0) throw new RangeError(`invalid HTTP API limits: ${problems.join('; ')}`);
  return Object.freeze({ ...resolveLimits(stateMachine), listPageKeysMax, watchKeepAliveMs });
}
