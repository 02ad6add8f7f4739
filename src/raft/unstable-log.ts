// The entries and snapshot that Raft has accepted but the application has not yet persisted
// (etcd's log_unstable.go). Parts handed out in a Ready are marked "in progress" so that a
// second Ready before advance() does not hand them out again.

import { assert } from './errors.js';
import type { Entry, LogIndex, Snapshot, Term } from './types.js';
import { logIndex } from './types.js';

export class UnstableLog {
  /** A snapshot received from the leader and not yet persisted. */
  snapshot: Snapshot | null = null;
  // Invariant: entries[i].index === offset + i.
  entries: Entry[] = [];
  offset: LogIndex;
  /** Entries before this index were handed out in a Ready. Invariant: offset <= offsetInProgress. */
  offsetInProgress: LogIndex;
  /** The snapshot was handed out in a Ready and is being persisted. */
  snapshotInProgress = false;

  constructor(offset: LogIndex) {
    this.offset = offset;
    this.offsetInProgress = offset;
  }

  /** The first index only when a snapshot is unstable: otherwise storage knows it. */
  maybeFirstIndex(): LogIndex | undefined {
    return this.snapshot === null ? undefined : logIndex(this.snapshot.metadata.index + 1);
  }

  maybeLastIndex(): LogIndex | undefined {
    if (this.entries.length > 0) return logIndex(this.offset + this.entries.length - 1);
    return this.snapshot === null ? undefined : this.snapshot.metadata.index;
  }

  maybeTerm(i: LogIndex): Term | undefined {
    if (i < this.offset) {
      return this.snapshot !== null && this.snapshot.metadata.index === i ? this.snapshot.metadata.term : undefined;
    }
    return this.entries[i - this.offset]?.term;
  }

  /** Entries not yet handed out in a Ready, as a new array: later appends must not change a Ready. */
  nextEntries(): readonly Entry[] {
    const start = this.offsetInProgress - this.offset;
    return start >= this.entries.length ? [] : this.entries.slice(start);
  }

  hasNextEntries(): boolean {
    return this.offsetInProgress - this.offset < this.entries.length;
  }

  nextSnapshot(): Snapshot | null {
    return this.snapshotInProgress ? null : this.snapshot;
  }

  /** Marks everything handed out so far as being persisted. */
  acceptInProgress(): void {
    if (this.entries.length > 0) this.offsetInProgress = logIndex(this.offset + this.entries.length);
    if (this.snapshot !== null) this.snapshotInProgress = true;
  }

  /** Drops entries up to `i` once they are durable, unless a conflict replaced them meanwhile. */
  stableTo(i: LogIndex, entryTerm: Term): void {
    if (this.maybeTerm(i) !== entryTerm || i < this.offset) return;
    this.entries = this.entries.slice(i + 1 - this.offset);
    this.offset = logIndex(i + 1);
    if (this.offsetInProgress < this.offset) this.offsetInProgress = this.offset;
  }

  stableSnapshotTo(i: LogIndex): void {
    if (this.snapshot !== null && this.snapshot.metadata.index === i) {
      this.snapshot = null;
      this.snapshotInProgress = false;
    }
  }

  restore(snapshot: Snapshot): void {
    this.offset = logIndex(snapshot.metadata.index + 1);
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = snapshot;
    this.snapshotInProgress = false;
  }

  /** Appends, replacing any existing suffix that starts at or after the first new entry. */
  truncateAndAppend(newEntries: readonly Entry[]): void {
    const first = newEntries[0];
    if (first === undefined) return;
    const from = first.index;
    if (from === this.offset + this.entries.length) {
      for (const entry of newEntries) this.entries.push(entry);
      return;
    }
    if (from <= this.offset) {
      // The whole unstable part is replaced; the caller ensured storage holds what precedes it.
      this.offset = from;
      this.offsetInProgress = from;
      this.entries = newEntries.slice();
      return;
    }
    assert(from <= this.offset + this.entries.length, `unstable append at ${from} leaves a gap`);
    this.entries = this.entries.slice(0, from - this.offset);
    for (const entry of newEntries) this.entries.push(entry);
    if (this.offsetInProgress > from) this.offsetInProgress = from;
  }

  /** Entries in [lo, hi); the range must lie within the unstable entries. */
  slice(lo: LogIndex, hi: LogIndex): Entry[] {
    assert(
      this.offset <= lo && lo <= hi && hi <= this.offset + this.entries.length,
      `unstable slice [${lo}, ${hi}) out of bounds [${this.offset}, ${this.offset + this.entries.length})`,
    );
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
