import { describe, expect, it } from 'vitest';
import { StorageError, StorageErrorCode } from '../../../src/raft/errors.js';
import { MemoryStorage } from '../../../src/raft/memory-storage.js';
import type { Entry } from '../../../src/raft/types.js';
import { EMPTY_CONF_STATE, EntryType, logIndex, nodeId, term } from '../../../src/raft/types.js';

function entry(index: number, entryTerm: number, bytes = 0): Entry {
  return { index: logIndex(index), term: term(entryTerm), type: EntryType.Normal, data: new Uint8Array(bytes) };
}

function storageError(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof StorageError) return error.code;
    throw error;
  }
  return undefined;
}

describe('MemoryStorage', () => {
  it('a new cluster starts from its initial membership at index 0, term 0', () => {
    const confState = { ...EMPTY_CONF_STATE, voters: [nodeId(1), nodeId(2)] };
    const storage = new MemoryStorage({ confState });
    expect(storage.initialState().confState).toEqual(confState);
    expect(storage.firstIndex()).toBe(1);
    expect(storage.lastIndex()).toBe(0);
    expect(storage.term(logIndex(0))).toBe(0);
  });

  it('appending over an existing suffix replaces it', () => {
    const storage = new MemoryStorage();
    storage.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
    storage.append([entry(2, 2)]);
    expect(storage.lastIndex()).toBe(2);
    expect(storage.term(logIndex(2))).toBe(2);
  });

  it('entries are cut at the byte limit but always include one', () => {
    const storage = new MemoryStorage();
    storage.append([entry(1, 1, 10), entry(2, 1, 10), entry(3, 1, 10)]);
    expect(storage.entries(logIndex(1), logIndex(4), 25)).toHaveLength(2);
    expect(storage.entries(logIndex(1), logIndex(4), 1)).toHaveLength(1);
    expect(storageError(() => storage.entries(logIndex(1), logIndex(5), 100))).toBe(StorageErrorCode.Unavailable);
  });

  it('compaction keeps the term of the compacted index as the log origin', () => {
    const storage = new MemoryStorage();
    storage.append([entry(1, 1), entry(2, 2), entry(3, 3)]);
    storage.compact(logIndex(2));
    expect(storage.firstIndex()).toBe(3);
    expect(storage.term(logIndex(2))).toBe(2);
    expect(storageError(() => storage.term(logIndex(1)))).toBe(StorageErrorCode.Compacted);
    expect(storageError(() => storage.entries(logIndex(2), logIndex(3), 100))).toBe(StorageErrorCode.Compacted);
    expect(storageError(() => storage.compact(logIndex(2)))).toBe(StorageErrorCode.Compacted);
    storage.append([entry(1, 1), entry(2, 2), entry(3, 3), entry(4, 3)]);
    expect(storage.lastIndex()).toBe(4);
  });

  it('snapshots must move forward', () => {
    const storage = new MemoryStorage();
    storage.append([entry(1, 1), entry(2, 1)]);
    const snapshot = storage.createSnapshot(logIndex(2), EMPTY_CONF_STATE, new Uint8Array([7]));
    expect(snapshot.metadata.term).toBe(1);
    expect(storageError(() => storage.createSnapshot(logIndex(2), EMPTY_CONF_STATE, new Uint8Array()))).toBe(
      StorageErrorCode.SnapshotOutOfDate,
    );
    expect(storageError(() => storage.applySnapshot(snapshot))).toBe(StorageErrorCode.SnapshotOutOfDate);
    const other = new MemoryStorage();
    other.applySnapshot(snapshot);
    expect(other.firstIndex()).toBe(3);
    expect(other.term(logIndex(2))).toBe(1);
  });
});
