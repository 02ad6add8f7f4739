// An in-memory LogStore, the reference implementation of the storage contract. Like etcd's
// MemoryStorage it keeps a dummy entry at position 0 holding the index and term of the log
// origin (the last compacted entry), so that term(origin) answers without special cases.

import { limitBytes } from './entry-bytes.js';
import { StorageError, StorageErrorCode, assert } from './errors.js';
import type { LogStore } from './storage.js';
import type { ConfState, Entry, HardState, LogIndex, Snapshot, Term } from './types.js';
import { EMPTY_BYTES, EMPTY_CONF_STATE, EMPTY_HARD_STATE, EntryType, logIndex, term } from './types.js';

export interface MemoryStorageOptions {
  /** The members of a new cluster; a node joining later starts empty and learns from a snapshot. */
  readonly confState?: ConfState;
}

export class MemoryStorage implements LogStore {
  private hardState: HardState = EMPTY_HARD_STATE;
  private currentSnapshot: Snapshot;
  // Invariant: entries[0] is the dummy origin entry; entries[i].index === entries[0].index + i.
  private entriesWithOrigin: Entry[];

  constructor(options: MemoryStorageOptions = {}) {
    this.currentSnapshot = {
      metadata: { index: logIndex(0), term: term(0), confState: options.confState ?? EMPTY_CONF_STATE },
      data: EMPTY_BYTES,
    };
    this.entriesWithOrigin = [originEntry(logIndex(0), term(0))];
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.currentSnapshot.metadata.confState };
  }

  entries(lo: LogIndex, hi: LogIndex, bytesMax: number): Entry[] {
    const origin = this.originIndex();
    if (lo <= origin) throw compacted(lo, origin);
    if (hi > this.lastIndex() + 1) throw unavailable(hi - 1, this.lastIndex());
    if (lo >= hi) return [];
    return limitBytes(this.entriesWithOrigin.slice(lo - origin, hi - origin), bytesMax);
  }

  term(i: LogIndex): Term {
    const origin = this.originIndex();
    if (i < origin) throw compacted(i, origin);
    if (i > this.lastIndex()) throw unavailable(i, this.lastIndex());
    return this.entriesWithOrigin[i - origin]!.term;
  }

  lastIndex(): LogIndex {
    return logIndex(this.originIndex() + this.entriesWithOrigin.length - 1);
  }

  firstIndex(): LogIndex {
    return logIndex(this.originIndex() + 1);
  }

  snapshot(): Snapshot {
    return this.currentSnapshot;
  }

  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const origin = this.originIndex();
    const lastNew = entries[entries.length - 1]!.index;
    if (lastNew <= origin) return;
    // Entries at or below the origin are already part of the snapshot.
    const fresh = entries[0]!.index <= origin ? entries.slice(origin + 1 - entries[0]!.index) : entries;
    const first = fresh[0]!.index;
    assert(first <= this.lastIndex() + 1, `append at ${first} leaves a gap after last index ${this.lastIndex()}`);
    this.entriesWithOrigin.length = first - origin;
    for (const entry of fresh) this.entriesWithOrigin.push(entry);
  }

  setHardState(hardState: HardState): void {
    this.hardState = hardState;
  }

  applySnapshot(snapshot: Snapshot): void {
    const current = this.currentSnapshot.metadata.index;
    if (snapshot.metadata.index <= current) throw outOfDate(snapshot.metadata.index, current);
    this.currentSnapshot = snapshot;
    this.entriesWithOrigin = [originEntry(snapshot.metadata.index, snapshot.metadata.term)];
  }

  createSnapshot(index: LogIndex, confState: ConfState, data: Uint8Array): Snapshot {
    const current = this.currentSnapshot.metadata.index;
    if (index <= current) throw outOfDate(index, current);
    if (index > this.lastIndex()) throw unavailable(index, this.lastIndex());
    this.currentSnapshot = { metadata: { index, term: this.term(index), confState }, data };
    return this.currentSnapshot;
  }

  compact(index: LogIndex): void {
    const origin = this.originIndex();
    if (index <= origin) throw compacted(index, origin);
    if (index > this.lastIndex()) throw unavailable(index, this.lastIndex());
    const kept = this.entriesWithOrigin.slice(index - origin + 1);
    this.entriesWithOrigin = [originEntry(index, this.term(index)), ...kept];
  }

  private originIndex(): LogIndex {
    return this.entriesWithOrigin[0]!.index;
  }
}

function originEntry(index: LogIndex, originTerm: Term): Entry {
  return { index, term: originTerm, type: EntryType.Normal, data: EMPTY_BYTES };
}

function compacted(index: number, origin: number): StorageError {
  return new StorageError(StorageErrorCode.Compacted, `index ${index} is compacted (log starts after ${origin})`);
}

function unavailable(index: number, last: number): StorageError {
  return new StorageError(StorageErrorCode.Unavailable, `index ${index} is past the last index ${last}`);
}

function outOfDate(index: number, current: number): StorageError {
  return new StorageError(
    StorageErrorCode.SnapshotOutOfDate,
    `snapshot at ${index} is not newer than the current snapshot at ${current}`,
  );
}
