// The entries after the log origin, kept in memory so that Raft's reads stay synchronous (as
// etcd keeps a MemoryStorage beside its WAL). Unlike MemoryStorage, the origin is separate from
// the snapshot: compaction may pass the newest snapshot, and a reopened store must reproduce
// exactly that state from the WAL.

import { limitBytes } from '../raft/entry-bytes.js';
import { StorageError, StorageErrorCode } from '../raft/errors.js';
import type { Entry, LogIndex, Term } from '../raft/types.js';
import { logIndex } from '../raft/types.js';

export class InMemoryLog {
  // Invariant: entries[i].index === originIndex + 1 + i.
  private entriesAfterOrigin: Entry[] = [];
  // Invariant: the sum of the data bytes of entriesAfterOrigin.
  private dataBytes = 0;

  constructor(
    private originIndex: LogIndex,
    private originTerm: Term,
  ) {}

  get origin(): { readonly index: LogIndex; readonly term: Term } {
    return { index: this.originIndex, term: this.originTerm };
  }

  entries(lo: LogIndex, hi: LogIndex, bytesMax: number): Entry[] {
    if (lo <= this.originIndex) throw compacted(lo, this.originIndex);
    if (hi > this.lastIndex() + 1) throw unavailable(hi - 1, this.lastIndex());
    if (lo >= hi) return [];
    const start = lo - this.originIndex - 1;
    return limitBytes(this.entriesAfterOrigin.slice(start, start + (hi - lo)), bytesMax);
  }

  term(i: LogIndex): Term {
    if (i < this.originIndex) throw compacted(i, this.originIndex);
    if (i > this.lastIndex()) throw unavailable(i, this.lastIndex());
    if (i === this.originIndex) return this.originTerm;
    return this.entriesAfterOrigin[i - this.originIndex - 1]!.term;
  }

  lastIndex(): LogIndex {
    return logIndex(this.originIndex + this.entriesAfterOrigin.length);
  }

  firstIndex(): LogIndex {
    return logIndex(this.originIndex + 1);
  }

  /** Bytes of entry data held in memory: what a snapshot policy must keep bounded. */
  get entriesDataBytes(): number {
    return this.dataBytes;
  }

  /**
   * The lowest index that may become the origin while the entries after it hold at most
   * `bytesMax` bytes of data (the origin itself when they already fit).
   */
  originKeepingBytes(bytesMax: number): LogIndex {
    let kept = 0;
    for (let i = this.entriesAfterOrigin.length - 1; i >= 0; i--) {
      kept += this.entriesAfterOrigin[i]!.data.byteLength;
      if (kept > bytesMax) return logIndex(this.originIndex + 1 + i);
    }
    return this.originIndex;
  }

  /** The entries of `entries` above the origin: what an append actually changes. */
  freshEntries(entries: readonly Entry[]): readonly Entry[] {
    const first = entries[0];
    if (first === undefined || first.index > this.originIndex) return entries;
    return entries.slice(this.originIndex + 1 - first.index);
  }

  /**
   * Writes `entries` (contiguous and non-empty) over the log: everything from the first new
   * index on is replaced, entries at or below the origin are dropped. Returns false, changing
   * nothing, when the first new index would leave a gap after the last index.
   */
  overwrite(entries: readonly Entry[]): boolean {
    const first = entries[0]!.index;
    const cut = Math.max(first, this.originIndex + 1);
    if (cut > this.lastIndex() + 1) return false;
    const kept = cut - this.originIndex - 1;
    for (let i = kept; i < this.entriesAfterOrigin.length; i++) this.dataBytes -= this.entriesAfterOrigin[i]!.data.byteLength;
    this.entriesAfterOrigin.length = kept;
    for (let i = cut - first; i < entries.length; i++) {
      this.entriesAfterOrigin.push(entries[i]!);
      this.dataBytes += entries[i]!.data.byteLength;
    }
    return true;
  }

  /** Drops the entries up to `index` (origin < index <= lastIndex), which becomes the origin. */
  compact(index: LogIndex): void {
    const originTerm = this.term(index);
    const dropped = index - this.originIndex;
    for (let i = 0; i < dropped; i++) this.dataBytes -= this.entriesAfterOrigin[i]!.data.byteLength;
    this.entriesAfterOrigin = this.entriesAfterOrigin.slice(dropped);
    this.originIndex = index;
    this.originTerm = originTerm;
  }

  /** Drops every entry and starts the log after (index, term): a snapshot replaced it. */
  reset(index: LogIndex, originTerm: Term): void {
    this.entriesAfterOrigin = [];
    this.dataBytes = 0;
    this.originIndex = index;
    this.originTerm = originTerm;
  }
}

export function compacted(index: number, origin: number): StorageError {
  return new StorageError(StorageErrorCode.Compacted, `index ${index} is compacted (log starts after ${origin})`);
}

export function unavailable(index: number, last: number): StorageError {
  return new StorageError(StorageErrorCode.Unavailable, `index ${index} is past the last index ${last}`);
}
