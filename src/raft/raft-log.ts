// The Raft log as the algorithm sees it (etcd's log.go): stable entries in storage followed by
// unstable entries not yet persisted, with the commit, applying and applied cursors.

import { limitBytes } from './entry-bytes.js';
import { StorageError, StorageErrorCode, assert } from './errors.js';
import type { Storage } from './storage.js';
import type { Entry, LogIndex, Snapshot, Term } from './types.js';
import { logIndex, term } from './types.js';
import { UnstableLog } from './unstable-log.js';

export class RaftLog {
  readonly storage: Storage;
  readonly unstable: UnstableLog;
  /** Highest index known to be stored on a quorum. Invariant: applied <= applying <= committed. */
  committed: LogIndex;
  /** Highest index handed to the application in a Ready for applying. */
  applying: LogIndex;
  /** Highest index the application reported as applied. */
  applied: LogIndex;
  /** Byte limit of committed entries handed out at once. */
  readonly committedBytesPerReadyMax: number;

  constructor(storage: Storage, committedBytesPerReadyMax: number) {
    this.storage = storage;
    this.committedBytesPerReadyMax = committedBytesPerReadyMax;
    this.unstable = new UnstableLog(logIndex(storage.lastIndex() + 1));
    const origin = logIndex(storage.firstIndex() - 1);
    this.committed = origin;
    this.applying = origin;
    this.applied = origin;
  }

  firstIndex(): LogIndex {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): LogIndex {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** The term of entry i, or undefined when i is compacted or past the last index. */
  maybeTerm(i: LogIndex): Term | undefined {
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return undefined;
    const unstableTerm = this.unstable.maybeTerm(i);
    if (unstableTerm !== undefined) return unstableTerm;
    try {
      return this.storage.term(i);
    } catch (error) {
      if (error instanceof StorageError && error.code === StorageErrorCode.Compacted) return undefined;
      throw error;
    }
  }

  lastTerm(): Term {
    const lastTerm = this.maybeTerm(this.lastIndex());
    assert(lastTerm !== undefined, `the term of the last index ${this.lastIndex()} is unknown`);
    return lastTerm;
  }

  matchTerm(i: LogIndex, entryTerm: Term): boolean {
    return this.maybeTerm(i) === entryTerm;
  }

  /** Whether a log ending at (lastIndex, lastTerm) is at least as up to date as ours (Raft §5.4.1). */
  isUpToDate(lastIndex: LogIndex, lastTerm: Term): boolean {
    const ourLastTerm = this.lastTerm();
    return lastTerm > ourLastTerm || (lastTerm === ourLastTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Appends the leader's entries that follow (index, logTerm) if our log matches there, and
   * advances the commit. Returns the index of the last new entry, or undefined on a mismatch.
   */
  maybeAppend(index: LogIndex, logTerm: Term, leaderCommit: LogIndex, entries: readonly Entry[]): LogIndex | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNewIndex = logIndex(index + entries.length);
    const conflictIndex = this.findConflict(entries);
    if (conflictIndex !== 0) {
      assert(conflictIndex > this.committed, `entry ${conflictIndex} conflicts with committed entry ${this.committed}`);
      this.append(entries.slice(conflictIndex - (index + 1)));
    }
    this.commitTo(logIndex(Math.min(leaderCommit, lastNewIndex)));
    return lastNewIndex;
  }

  /** Appends entries (replacing any suffix they overlap) and returns the new last index. */
  append(entries: readonly Entry[]): LogIndex {
    const first = entries[0];
    if (first === undefined) return this.lastIndex();
    assert(first.index - 1 >= this.committed, `appending after ${first.index - 1} would rewrite committed ${this.committed}`);
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  /**
   * The index of the first entry whose term differs from ours (an existing entry in conflict,
   * or the first new one), or 0 when every entry is already in the log.
   */
  findConflict(entries: readonly Entry[]): LogIndex | 0 {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * The last index <= `index` whose term is <= `entryTerm`, with that term: every entry after
   * it up to `index` cannot match a log whose entry at `index` has `entryTerm`, so the leader
   * can skip them all in one round trip. Term 0 means the term there is unknown (compacted).
   */
  findConflictByTerm(index: LogIndex, entryTerm: Term): { index: LogIndex; term: Term } {
    for (let i = index; i > 0; i--) {
      const ourTerm = this.maybeTerm(logIndex(i));
      if (ourTerm === undefined) return { index: logIndex(i), term: term(0) };
      if (ourTerm <= entryTerm) return { index: logIndex(i), term: ourTerm };
    }
    return { index: logIndex(0), term: term(0) };
  }

  commitTo(index: LogIndex): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), `commit ${index} is past the last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** Commits `index` only if it holds an entry of `currentTerm` (Raft §5.4.2, Figure 8). */
  maybeCommit(index: LogIndex, currentTerm: Term): boolean {
    if (index <= this.committed || this.maybeTerm(index) !== currentTerm) return false;
    this.commitTo(index);
    return true;
  }

  appliedTo(index: LogIndex): void {
    assert(index <= this.committed && index >= this.applied, `applied ${index} outside [${this.applied}, ${this.committed}]`);
    this.applied = index;
    if (this.applying < index) this.applying = index;
  }

  acceptApplying(index: LogIndex): void {
    this.applying = index;
  }

  /** Committed entries not yet handed out; none while a snapshot waits to be applied first. */
  nextCommittedEntries(): Entry[] {
    if (!this.hasNextCommittedEntries()) return [];
    return this.slice(logIndex(this.applying + 1), logIndex(this.committed + 1), this.committedBytesPerReadyMax);
  }

  hasNextCommittedEntries(): boolean {
    return this.unstable.snapshot === null && this.applying < this.committed;
  }

  stableTo(index: LogIndex, entryTerm: Term): void {
    this.unstable.stableTo(index, entryTerm);
  }

  stableSnapshotTo(index: LogIndex): void {
    this.unstable.stableSnapshotTo(index);
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  restore(snapshot: Snapshot): void {
    this.committed = snapshot.metadata.index;
    this.unstable.restore(snapshot);
  }

  /** Entries from `index` to the end, cut at `bytesMax`. Throws StorageError Compacted. */
  entriesFrom(index: LogIndex, bytesMax: number): Entry[] {
    if (index > this.lastIndex()) return [];
    return this.slice(index, logIndex(this.lastIndex() + 1), bytesMax);
  }

  /** Entries in [lo, hi), cut at `bytesMax`. Throws StorageError Compacted if lo is compacted. */
  slice(lo: LogIndex, hi: LogIndex, bytesMax: number): Entry[] {
    const first = this.firstIndex();
    if (lo < first) {
      throw new StorageError(StorageErrorCode.Compacted, `index ${lo} is compacted (first index ${first})`);
    }
    assert(lo <= hi && hi <= this.lastIndex() + 1, `slice [${lo}, ${hi}) out of bounds [${first}, ${this.lastIndex()}]`);
    if (lo === hi) return [];
    const offset = this.unstable.offset;
    let result: Entry[] = [];
    if (lo < offset) {
      const storedHi = logIndex(Math.min(hi, offset));
      result = this.storage.entries(lo, storedHi, bytesMax);
      if (result.length < storedHi - lo) return result;
    }
    if (hi > offset) {
      const unstableEntries = this.unstable.slice(logIndex(Math.max(lo, offset)), hi);
      result = result.length === 0 ? unstableEntries : result.concat(unstableEntries);
    }
    return limitBytes(result, bytesMax);
  }
}
