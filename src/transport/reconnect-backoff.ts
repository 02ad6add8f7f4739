// How long a sender waits before opening a failed peer stream again: exponential in the
// number of consecutive failures, capped, with "equal jitter" (between half and all of the
// exponential delay) so members that lost a peer together do not reconnect in lockstep.

export interface ReconnectBackoff {
  readonly reconnectDelayInitialMs: number;
  readonly reconnectDelayMaxMs: number;
}

/** The delay after `failures` (>= 1) consecutive failures; `random` returns [0, 1). */
export function reconnectDelayMs(backoff: ReconnectBackoff, failures: number, random: () => number = Math.random): number {
  const exponent = Math.min(failures - 1, 30);
  const ceilingMs = Math.min(backoff.reconnectDelayMaxMs, backoff.reconnectDelayInitialMs * 2 ** exponent);
  return ceilingMs / 2 + random() * (ceilingMs / 2);
}
