// The storage seam. Raft reads its stable log through `Storage`; the application writes to
// it through `LogStore` while processing a Ready. The in-memory store and the durable WAL
// implement the same contract and pass the same test suite (test/raft/storage-contract.ts).

import type { ConfState, Entry, HardState, LogIndex, Snapshot, Term } from './types.js';

/**
 * What Raft needs from stable storage. Every read is synchronous: Raft is never blocked on I/O.
 * The log origin is the index of the last entry discarded by compact (or replaced by an applied
 * snapshot); it keeps that entry's term. A snapshot created locally does not move the origin:
 * only compact does.
 */
export interface Storage {
  /**
   * The hard state saved most recently, and the membership of the most recent snapshot (the
   * one created or applied last; on a new node, the membership it was created with).
   */
  initialState(): { hardState: HardState; confState: ConfState };
  /**
   * Entries in [lo, hi): the longest prefix whose entry data fits in `bytesMax` bytes, but at
   * least one entry when the range is not empty.
   * Throws StorageError Compacted if lo <= the log origin, Unavailable if hi > lastIndex + 1.
   */
  entries(lo: LogIndex, hi: LogIndex, bytesMax: number): Entry[];
  /**
   * The term of entry i. The log origin answers with its term.
   * Throws StorageError Compacted if i < the log origin, Unavailable if i > lastIndex.
   */
  term(i: LogIndex): Term;
  /** Index of the last entry (the log origin when the log is empty). */
  lastIndex(): LogIndex;
  /** Index of the first entry still available (log origin + 1). */
  firstIndex(): LogIndex;
  /** The most recent snapshot. Throws StorageError SnapshotTemporarilyUnavailable if not ready. */
  snapshot(): Snapshot;
}

/** A result that may be synchronous (in memory) or asynchronous (on disk). */
export type MaybePromise<T> = T | Promise<T>;

/** The write side, used by the application while it processes a Ready. */
export interface LogStore extends Storage {
  /**
   * Appends entries. Entries whose index is at or below the last index replace the existing
   * suffix from that index on (a follower overwriting an uncommitted conflict).
   * Entries at or below the log origin are ignored.
   */
  append(entries: readonly Entry[]): MaybePromise<void>;
  setHardState(hardState: HardState): MaybePromise<void>;
  /**
   * Replaces the whole log with the snapshot, whose index becomes the log origin. Throws
   * SnapshotOutOfDate unless it is newer than the current snapshot (index > its index).
   */
  applySnapshot(snapshot: Snapshot): MaybePromise<void>;
  /**
   * Records a snapshot of the application's state at `index` (<= last applied) and keeps it
   * as the one `snapshot()` returns. Throws SnapshotOutOfDate if index <= current snapshot.
   */
  createSnapshot(index: LogIndex, confState: ConfState, data: Uint8Array): MaybePromise<Snapshot>;
  /**
   * Discards entries up to and including `index`, keeping the term of `index` as the new
   * log origin. Throws Compacted if index <= the log origin, Unavailable if past lastIndex.
   */
  compact(index: LogIndex): MaybePromise<void>;
}
