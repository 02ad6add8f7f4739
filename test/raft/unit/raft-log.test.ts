import { describe, expect, it } from 'vitest';
import { StorageError } from '../../../src/raft/errors.js';
import { MemoryStorage } from '../../../src/raft/memory-storage.js';
import { RaftLog } from '../../../src/raft/raft-log.js';
import { UnstableLog } from '../../../src/raft/unstable-log.js';
import type { Entry, Snapshot } from '../../../src/raft/types.js';
import { EMPTY_CONF_STATE, EntryType, logIndex, term } from '../../../src/raft/types.js';

function entry(index: number, entryTerm: number, bytes = 0): Entry {
  return { index: logIndex(index), term: term(entryTerm), type: EntryType.Normal, data: new Uint8Array(bytes) };
}

/** Entries with the given terms at indexes 1, 2, ... */
function entriesOfTerms(...terms: number[]): Entry[] {
  return terms.map((entryTerm, i) => entry(i + 1, entryTerm));
}

function snapshotAt(index: number, snapshotTerm: number): Snapshot {
  return { metadata: { index: logIndex(index), term: term(snapshotTerm), confState: EMPTY_CONF_STATE }, data: new Uint8Array() };
}

function logWith(stable: Entry[], unstable: Entry[] = []): RaftLog {
  const storage = new MemoryStorage();
  storage.append(stable);
  const log = new RaftLog(storage, Number.MAX_SAFE_INTEGER);
  log.append(unstable);
  return log;
}

describe('raft log', () => {
  it('reads terms across stable storage and unstable entries', () => {
    const log = logWith(entriesOfTerms(1, 1, 2), [entry(4, 3), entry(5, 3)]);
    expect(log.lastIndex()).toBe(5);
    expect(log.lastTerm()).toBe(3);
    expect(log.maybeTerm(logIndex(3))).toBe(2);
    expect(log.maybeTerm(logIndex(0))).toBe(0);
    expect(log.maybeTerm(logIndex(6))).toBeUndefined();
  });

  it('findConflict names the first entry that is new or differs', () => {
    const log = logWith(entriesOfTerms(1, 2, 3));
    expect(log.findConflict([])).toBe(0);
    expect(log.findConflict([entry(2, 2), entry(3, 3)])).toBe(0);
    expect(log.findConflict([entry(2, 2), entry(3, 3), entry(4, 4)])).toBe(4);
    expect(log.findConflict([entry(2, 2), entry(3, 4)])).toBe(3);
  });

  it('maybeAppend refuses a mismatch at the previous entry and truncates a conflicting suffix', () => {
    const log = logWith(entriesOfTerms(1, 2, 3));
    expect(log.maybeAppend(logIndex(3), term(2), logIndex(3), [entry(4, 4)])).toBeUndefined();
    expect(log.lastIndex()).toBe(3);
    expect(log.maybeAppend(logIndex(1), term(1), logIndex(2), [entry(2, 4)])).toBe(2);
    expect(log.lastIndex()).toBe(2);
    expect(log.maybeTerm(logIndex(2))).toBe(4);
    // The commit index follows the leader, but never past the last new entry.
    expect(log.committed).toBe(2);
  });

  it('maybeAppend commits no further than the last entry the leader vouched for', () => {
    const log = logWith(entriesOfTerms(1, 1, 1, 1));
    expect(log.maybeAppend(logIndex(1), term(1), logIndex(4), [entry(2, 1)])).toBe(2);
    expect(log.committed).toBe(2);
  });

  it('never rewrites a committed entry', () => {
    const log = logWith(entriesOfTerms(1, 1, 1));
    log.commitTo(logIndex(3));
    expect(() => log.maybeAppend(logIndex(1), term(1), logIndex(3), [entry(2, 2)])).toThrow(/conflicts with committed/);
    expect(() => log.commitTo(logIndex(4))).toThrow(/past the last index/);
  });

  it('findConflictByTerm skips every entry of a higher term', () => {
    const log = logWith(entriesOfTerms(1, 1, 2, 2, 4, 4, 4));
    expect(log.findConflictByTerm(logIndex(7), term(3))).toEqual({ index: 4, term: 2 });
    expect(log.findConflictByTerm(logIndex(7), term(4))).toEqual({ index: 7, term: 4 });
    expect(log.findConflictByTerm(logIndex(4), term(1))).toEqual({ index: 2, term: 1 });
    expect(log.findConflictByTerm(logIndex(7), term(0))).toEqual({ index: 0, term: 0 });
  });

  it('findConflictByTerm answers term 0 once it reaches compacted entries', () => {
    const storage = new MemoryStorage();
    storage.append(entriesOfTerms(2, 2, 3, 3));
    storage.compact(logIndex(2));
    const log = new RaftLog(storage, Number.MAX_SAFE_INTEGER);
    expect(log.findConflictByTerm(logIndex(4), term(1))).toEqual({ index: 1, term: 0 });
  });

  it('maybeCommit commits only an entry of the current term (Figure 8)', () => {
    const log = logWith(entriesOfTerms(1, 2, 3));
    expect(log.maybeCommit(logIndex(2), term(3))).toBe(false);
    expect(log.committed).toBe(0);
    expect(log.maybeCommit(logIndex(3), term(3))).toBe(true);
    expect(log.committed).toBe(3);
  });

  it('slices across storage and unstable entries within the byte limit', () => {
    const log = logWith([entry(1, 1, 10), entry(2, 1, 10)], [entry(3, 1, 10), entry(4, 1, 10)]);
    expect(log.slice(logIndex(1), logIndex(5), 1000).map((e) => e.index)).toEqual([1, 2, 3, 4]);
    expect(log.slice(logIndex(1), logIndex(5), 25).map((e) => e.index)).toEqual([1, 2]);
    expect(log.slice(logIndex(2), logIndex(5), 25).map((e) => e.index)).toEqual([2, 3]);
    expect(log.slice(logIndex(3), logIndex(5), 1).map((e) => e.index)).toEqual([3]);
    expect(log.entriesFrom(logIndex(5), 100)).toEqual([]);
  });

  it('slicing a compacted range throws Compacted, which the leader answers with a snapshot', () => {
    const storage = new MemoryStorage();
    storage.append(entriesOfTerms(1, 1, 1));
    storage.compact(logIndex(2));
    const log = new RaftLog(storage, 100);
    expect(() => log.slice(logIndex(2), logIndex(4), 100)).toThrow(StorageError);
    expect(log.slice(logIndex(3), logIndex(4), 100)).toHaveLength(1);
  });

  it('hands out committed entries once, bounded by the byte limit per Ready', () => {
    const storage = new MemoryStorage();
    storage.append([entry(1, 1, 10), entry(2, 1, 10), entry(3, 1, 10)]);
    const log = new RaftLog(storage, 15);
    log.commitTo(logIndex(3));
    expect(log.nextCommittedEntries().map((e) => e.index)).toEqual([1]);
    log.acceptApplying(logIndex(1));
    expect(log.nextCommittedEntries().map((e) => e.index)).toEqual([2]);
    log.acceptApplying(logIndex(2));
    log.appliedTo(logIndex(2));
    expect(log.applied).toBe(2);
    expect(log.hasNextCommittedEntries()).toBe(true);
  });

  it('restoring a snapshot replaces the log and commits up to it', () => {
    const log = logWith(entriesOfTerms(1, 1));
    log.restore(snapshotAt(10, 3));
    expect(log.firstIndex()).toBe(11);
    expect(log.lastIndex()).toBe(10);
    expect(log.committed).toBe(10);
    expect(log.maybeTerm(logIndex(10))).toBe(3);
    // No committed entries while the snapshot waits to be applied.
    expect(log.hasNextCommittedEntries()).toBe(false);
  });

  it('a vote goes only to a log at least as up to date', () => {
    const log = logWith(entriesOfTerms(1, 2, 2));
    expect(log.isUpToDate(logIndex(1), term(3))).toBe(true);
    expect(log.isUpToDate(logIndex(3), term(2))).toBe(true);
    expect(log.isUpToDate(logIndex(2), term(2))).toBe(false);
    expect(log.isUpToDate(logIndex(9), term(1))).toBe(false);
  });
});

describe('unstable log', () => {
  it('stableTo drops persisted entries unless they were replaced meanwhile', () => {
    const unstable = new UnstableLog(logIndex(1));
    unstable.truncateAndAppend([entry(1, 1), entry(2, 1), entry(3, 1)]);
    unstable.stableTo(logIndex(2), term(2)); // wrong term: a conflict replaced it
    expect(unstable.offset).toBe(1);
    unstable.stableTo(logIndex(2), term(1));
    expect(unstable.offset).toBe(3);
    expect(unstable.entries.map((e) => e.index)).toEqual([3]);
  });

  it('entries handed out are in progress and not handed out again', () => {
    const unstable = new UnstableLog(logIndex(1));
    unstable.truncateAndAppend([entry(1, 1), entry(2, 1)]);
    unstable.acceptInProgress();
    expect(unstable.nextEntries()).toEqual([]);
    unstable.truncateAndAppend([entry(3, 1)]);
    expect(unstable.nextEntries().map((e) => e.index)).toEqual([3]);
    // A conflict that rewrites an in-progress entry makes it due again.
    unstable.truncateAndAppend([entry(2, 2)]);
    expect(unstable.nextEntries().map((e) => `${e.index}@${e.term}`)).toEqual(['2@2']);
  });

  it('appending at or before the offset replaces everything', () => {
    const unstable = new UnstableLog(logIndex(5));
    unstable.truncateAndAppend([entry(5, 1), entry(6, 1)]);
    unstable.truncateAndAppend([entry(4, 2)]);
    expect(unstable.offset).toBe(4);
    expect(unstable.maybeLastIndex()).toBe(4);
  });

  it('a snapshot answers for its own index and is stable once persisted', () => {
    const unstable = new UnstableLog(logIndex(1));
    unstable.restore(snapshotAt(7, 2));
    expect(unstable.maybeFirstIndex()).toBe(8);
    expect(unstable.maybeLastIndex()).toBe(7);
    expect(unstable.maybeTerm(logIndex(7))).toBe(2);
    expect(unstable.maybeTerm(logIndex(6))).toBeUndefined();
    unstable.acceptInProgress();
    expect(unstable.nextSnapshot()).toBeNull();
    unstable.stableSnapshotTo(logIndex(7));
    expect(unstable.snapshot).toBeNull();
  });
});
