// One deadline per client call, shared by all its attempts: a retry never extends the time
// the caller agreed to wait.

export class Deadline {
  /** Invariant: fixed at construction; attempts only ever see what is left of it. */
  readonly atMs: number;

  constructor(
    timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.atMs = now() + timeoutMs;
  }

  remainingMs(): number {
    return Math.max(0, this.atMs - this.now());
  }

  expired(): boolean {
    return this.remainingMs() === 0;
  }

  /** Whether waiting `delayMs` still leaves time for another attempt. */
  allowsWait(delayMs: number): boolean {
    return this.remainingMs() > delayMs;
  }

  /** The gRPC deadline of the next attempt: what is left of this call's. */
  asDate(): Date {
    return new Date(this.atMs);
  }
}
