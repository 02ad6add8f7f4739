// How long to wait before the next attempt of a retried call: exponential in the attempt
// number, capped, with jitter so that many clients that lost the same leader do not all
// come back in the same millisecond.

export interface RetryPolicy {
  /** Attempts in all, the first one included; 1 means never retry. */
  readonly attemptsMax: number;
  /** The ceiling of the first retry's delay; each further retry doubles it. */
  readonly baseDelayMs: number;
  /** No delay exceeds this, however many attempts came before. */
  readonly maxDelayMs: number;
}

/**
 * The delay before retry number `retry` (1 for the first retry). Equal jitter: a uniform draw
 * in [ceiling / 2, ceiling], so the delay still grows with every retry (full jitter may draw
 * zero and hammer a cluster that is electing) while clients spread over half the window.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceilingMs = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceilingMs / 2 + (random() * ceilingMs) / 2);
}
