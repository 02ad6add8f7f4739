// Virtual time for the node simulator: one queue of timed callbacks, run in (time, order of
// scheduling) order. Between two callbacks the simulator lets every promise chain they
// started run to its end (the microtask queue empties, since nothing in a simulated node waits
// on real I/O or real timers), so a run depends on nothing but its seed.

import type { NodeClock } from '../../../src/node/node-io.js';

interface TimedCallback {
  readonly atMs: number;
  readonly order: number;
  readonly callback: () => void;
}

/** Settles every promise chain that can make progress without virtual time passing. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class VirtualTime {
  nowMs = 0;
  private scheduled = 0;
  // A binary heap ordered by (atMs, order): callbacks at one time run in the order scheduled.
  private readonly heap: TimedCallback[] = [];

  /** Runs `callback` `delayMs` from now (0: after what is already due now). */
  after(delayMs: number, callback: () => void): void {
    this.push({ atMs: this.nowMs + Math.max(0, delayMs), order: this.scheduled++, callback });
  }

  /** A promise that resolves `delayMs` from now. */
  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.after(delayMs, resolve));
  }

  /** Runs due callbacks one by one, settling after each, until the next one lies past `untilMs`. */
  async runUntil(untilMs: number, afterEach: () => Promise<void> = settle): Promise<void> {
    for (let next = this.heap[0]; next !== undefined && next.atMs <= untilMs; next = this.heap[0]) {
      this.pop();
      this.nowMs = next.atMs;
      next.callback();
      await afterEach();
    }
    this.nowMs = Math.max(this.nowMs, untilMs);
  }

  /** A node's clock: its timers die with `alive()` turning false, as a process's do in a crash. */
  clockFor(alive: () => boolean, wallClockOffsetMs: number): NodeClock {
    return {
      monotonicNowMs: () => this.nowMs,
      wallClockMs: () => this.nowMs + wallClockOffsetMs,
      repeat: (intervalMs, callback) => {
        let stopped = false;
        const fire = (): void => {
          if (stopped || !alive()) return;
          this.after(intervalMs, fire);
          callback();
        };
        this.after(intervalMs, fire);
        return () => {
          stopped = true;
        };
      },
      soon: (callback) => this.after(0, () => {
        if (alive()) callback();
      }),
    };
  }

  private push(item: TimedCallback): void {
    const heap = this.heap;
    heap.push(item);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!earlier(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    for (let i = 0; ; ) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && earlier(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && earlier(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}

function earlier(a: TimedCallback, b: TimedCallback): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
}
