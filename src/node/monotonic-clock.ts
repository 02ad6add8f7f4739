// Deadlines and lease expiry measure elapsed time, so they read the monotonic clock: a wall
// clock stepped by NTP or an operator must neither expire a lease early nor time out every
// pending request at once. Wall time is kept only for timestamps stored with a key.

/** Milliseconds on a clock that never jumps; only differences between readings mean anything. */
export function monotonicNowMs(): number {
  return performance.now();
}
