// Callers waiting for the node to reach a state (a membership change applied, a new leader),
// re-checked after every Ready and failed with NODE_TIMEOUT at their deadline.

import { NodeError } from './errors.js';

interface Waiter {
  readonly reached: () => boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly deadlineMs: number;
  readonly timeoutMs: number;
}

export class ConditionWaiters {
  private waiters: Waiter[] = [];

  waitFor(reached: () => boolean, nowMs: number, timeoutMs: number): Promise<void> {
    if (reached()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ reached, resolve, reject, deadlineMs: nowMs + timeoutMs, timeoutMs });
    });
  }

  check(nowMs: number): void {
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => {
      if (waiter.reached()) waiter.resolve();
      else if (waiter.deadlineMs <= nowMs) waiter.reject(new NodeError('NODE_TIMEOUT', { timeoutMs: waiter.timeoutMs }));
      else return true;
      return false;
    });
  }

  failAll(error: Error): void {
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters = [];
  }
}
