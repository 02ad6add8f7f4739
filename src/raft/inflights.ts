// The window of appends sent to one follower and not yet acknowledged (etcd's inflights.go):
// a ring buffer of the last index of each message, bounded by inflightMessagesMax.

import { assert } from './errors.js';
import type { LogIndex } from './types.js';

export class Inflights {
  /** Invariant: count <= capacity; the window occupies buffer[start .. start+count) modulo capacity. */
  private readonly buffer: LogIndex[] = [];
  private start = 0;
  private count = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    assert(capacity > 0, `inflight capacity must be positive, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.count;
  }

  full(): boolean {
    return this.count === this.capacity;
  }

  /** Records an append whose last entry is `index`; indexes must be added in increasing order. */
  add(index: LogIndex): void {
    assert(!this.full(), 'cannot add to a full inflight window');
    this.buffer[(this.start + this.count) % this.capacity] = index;
    this.count++;
  }

  /** Frees every message whose last index is <= `index` (they were acknowledged). */
  freeLE(index: LogIndex): void {
    while (this.count > 0 && this.buffer[this.start]! <= index) {
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
    if (this.count === 0) this.start = 0;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
  }
}
