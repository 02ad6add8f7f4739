// Failed password checks per user, so that a password cannot be guessed at speed: past
// `attemptsMax` failures within `windowMs`, further attempts for that user are refused at once
// (AUTH_TOO_MANY_FAILED_ATTEMPTS, with when to retry) until the oldest failure leaves the
// window. The count is per member; a success clears the user's failures.
import { MvccError } from '../mvcc/errors.js';

export interface FailedAttemptLimits {
  readonly attemptsMax: number;
  readonly windowMs: number;
  /** Users tracked at once; past it the user tracked longest is forgotten, so names made up by an attacker cannot grow memory. */
  readonly usersMax: number;
}

export const DEFAULT_FAILED_ATTEMPT_LIMITS: FailedAttemptLimits = { attemptsMax: 5, windowMs: 60_000, usersMax: 10_000 };

export class FailedAttempts {
  /** Failure times per user, oldest first; Map order is insertion order, so the first user is the oldest tracked. */
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly nowMs: () => number,
    private readonly limits: FailedAttemptLimits = DEFAULT_FAILED_ATTEMPT_LIMITS,
  ) {}

  /** Throws when `user` has used up its attempts in the window. */
  check(user: string): void {
    const recent = this.recent(user);
    if (recent.length < this.limits.attemptsMax) return;
    const retryAfterMs = (recent[0] as number) + this.limits.windowMs - this.nowMs();
    throw new MvccError('AUTH_TOO_MANY_FAILED_ATTEMPTS', {
      user,
      size: recent.length,
      limit: this.limits.attemptsMax,
      window: this.limits.windowMs / 1000,
      retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
    });
  }

  recordFailure(user: string): void {
    const recent = this.recent(user);
    recent.push(this.nowMs());
    this.failures.delete(user);
    this.failures.set(user, recent);
    if (this.failures.size > this.limits.usersMax) this.failures.delete(this.failures.keys().next().value as string);
  }

  recordSuccess(user: string): void {
    this.failures.delete(user);
  }

  private recent(user: string): number[] {
    const since = this.nowMs() - this.limits.windowMs;
    return (this.failures.get(user) ?? []).filter((at) => at > since);
  }
}
