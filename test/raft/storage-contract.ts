// The contract every LogStore must keep, as one vitest suite: the in-memory store runs it now
// and the durable WAL runs it later (with `reopen`, to prove that what was written survives).
// Every mutating call is awaited, so a synchronous and an asynchronous store pass the same suite.

import { describe, expect, it } from 'vitest';
import {
  EMPTY_CONF_STATE,
  EMPTY_HARD_STATE,
  EntryType,
  StorageError,
  StorageErrorCode,
  logIndex,
  nodeId,
  term,
} from '../../src/raft/index.js';
import type { ConfState, Entry, HardState, LogStore, Snapshot } from '../../src/raft/index.js';

export type CreateStore = (init?: { confState?: ConfState }) => Promise<LogStore> | LogStore;

export interface StorageContractOptions {
  /** Closes the store and opens it again from what it persisted. */
  readonly reopen?: (store: LogStore) => Promise<LogStore>;
}

/** Large enough that no test entry set is ever cut short by the byte limit. */
const BYTES_UNLIMITED = Number.MAX_SAFE_INTEGER;

const MEMBERS: ConfState = { ...EMPTY_CONF_STATE, voters: [nodeId(1), nodeId(2), nodeId(3)] };
const MEMBERS_WITH_LEARNER: ConfState = { ...MEMBERS, learners: [nodeId(4)] };

export function describeStorageContract(name: string, create: CreateStore, options: StorageContractOptions = {}): void {
  describe(`${name} keeps the storage contract`, () => {
    describeNewStore(create);
    describeAppend(create);
    describeByteLimit(create);
    describeCompaction(create);
    describeCreateSnapshot(create);
    describeApplySnapshot(create);
    describeHardState(create);
    if (options.reopen) describeReopen(create, options.reopen);
  });
}

/** An entry whose data names it, so a replaced entry is told apart from the original. */
function entry(index: number, entryTerm: number, data = `entry ${index} of term ${entryTerm}`): Entry {
  return { index: logIndex(index), term: term(entryTerm), type: EntryType.Normal, data: new TextEncoder().encode(data) };
}

/** Entries 1..5 in terms 1, 1, 2, 2, 3. */
const FIVE_ENTRIES: readonly Entry[] = [entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 2), entry(5, 3)];

/** A comparable view of entries: typed arrays of different classes compare by their text. */
function shapeOf(entries: readonly Entry[]): { index: number; term: number; type: EntryType; data: string }[] {
  return entries.map((e) => ({ index: e.index, term: e.term, type: e.type, data: new TextDecoder().decode(e.data) }));
}

async function storeWith(create: CreateStore, entries: readonly Entry[], confState = MEMBERS): Promise<LogStore> {
  const store = await create({ confState });
  await store.append(entries);
  return store;
}

/** Runs `action` (sync or async) and returns what it threw, or undefined. */
async function thrownBy(action: () => unknown): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  return undefined;
}

async function expectStorageError(action: () => unknown, code: StorageErrorCode): Promise<void> {
  const error = await thrownBy(action);
  expect(error, `expected StorageError ${code}`).toBeInstanceOf(StorageError);
  expect((error as StorageError).code).toBe(code);
}

function expectBounds(store: LogStore, first: number, last: number): void {
  expect({ firstIndex: store.firstIndex(), lastIndex: store.lastIndex() }).toEqual({ firstIndex: first, lastIndex: last });
}

function describeNewStore(create: CreateStore): void {
  describe('a new store', () => {
    it('holds no entries: the first index is 1 and the last index is 0', async () => {
      expectBounds(await create({ confState: MEMBERS }), 1, 0);
    });

    it('answers term 0 for index 0, the origin of the empty log', async () => {
      expect((await create()).term(logIndex(0))).toBe(0);
    });

    it('reports Unavailable for the term of index 1', async () => {
      const store = await create();
      await expectStorageError(() => store.term(logIndex(1)), StorageErrorCode.Unavailable);
    });

    it('returns no entries for the empty range [1, 1)', async () => {
      expect((await create()).entries(logIndex(1), logIndex(1), BYTES_UNLIMITED)).toEqual([]);
    });

    it('reports Compacted for entries from index 0 and Unavailable for entries past the end', async () => {
      const store = await create();
      await expectStorageError(() => store.entries(logIndex(0), logIndex(1), BYTES_UNLIMITED), StorageErrorCode.Compacted);
      await expectStorageError(() => store.entries(logIndex(1), logIndex(2), BYTES_UNLIMITED), StorageErrorCode.Unavailable);
    });

    it('starts with the empty hard state and the membership it was given', async () => {
      expect((await create({ confState: MEMBERS_WITH_LEARNER })).initialState()).toEqual({
        hardState: EMPTY_HARD_STATE,
        confState: MEMBERS_WITH_LEARNER,
      });
    });

    it('starts with the empty membership when it was given none (a node that joins later)', async () => {
      expect((await create()).initialState().confState).toEqual(EMPTY_CONF_STATE);
    });

    it('holds the empty snapshot at index 0, term 0', async () => {
      const { metadata } = (await create({ confState: MEMBERS })).snapshot();
      expect({ index: metadata.index, term: metadata.term }).toEqual({ index: 0, term: 0 });
    });
  });
}

function describeAppend(create: CreateStore): void {
  describe('append', () => {
    it('keeps entries in order with their terms, types and data', async () => {
      const confChange: Entry = { ...entry(6, 3, 'membership'), type: EntryType.ConfChange };
      const store = await storeWith(create, [...FIVE_ENTRIES, confChange]);
      expectBounds(store, 1, 6);
      expect(shapeOf(store.entries(logIndex(1), logIndex(7), BYTES_UNLIMITED))).toEqual(shapeOf([...FIVE_ENTRIES, confChange]));
      expect(shapeOf(store.entries(logIndex(2), logIndex(4), BYTES_UNLIMITED))).toEqual(shapeOf(FIVE_ENTRIES.slice(1, 3)));
      expect([1, 2, 3, 4, 5, 6].map((i) => store.term(logIndex(i)))).toEqual([1, 1, 2, 2, 3, 3]);
    });

    it('reports Unavailable for entries and terms past the last index', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      await expectStorageError(() => store.entries(logIndex(1), logIndex(7), BYTES_UNLIMITED), StorageErrorCode.Unavailable);
      await expectStorageError(() => store.term(logIndex(6)), StorageErrorCode.Unavailable);
      expect(store.entries(logIndex(6), logIndex(6), BYTES_UNLIMITED)).toEqual([]);
    });

    it('extends the log when the new entries start right after the last index', async () => {
      const store = await storeWith(create, FIVE_ENTRIES.slice(0, 2));
      await store.append(FIVE_ENTRIES.slice(2));
      expect(shapeOf(store.entries(logIndex(1), logIndex(6), BYTES_UNLIMITED))).toEqual(shapeOf(FIVE_ENTRIES));
    });

    it('replaces the conflicting suffix: a follower overwrites uncommitted entries of an old leader', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      await store.append([entry(3, 4), entry(4, 4)]);
      expectBounds(store, 1, 4);
      const expected = [...FIVE_ENTRIES.slice(0, 2), entry(3, 4), entry(4, 4)];
      expect(shapeOf(store.entries(logIndex(1), logIndex(5), BYTES_UNLIMITED))).toEqual(shapeOf(expected));
      await expectStorageError(() => store.term(logIndex(5)), StorageErrorCode.Unavailable);
    });

    it('ignores entries at or below the log origin and appends the rest', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      await store.compact(logIndex(3));
      await store.append([entry(2, 9), entry(3, 9), entry(4, 4)]);
      expectBounds(store, 4, 4);
      expect(store.term(logIndex(3))).toBe(2);
      expect(shapeOf(store.entries(logIndex(4), logIndex(5), BYTES_UNLIMITED))).toEqual(shapeOf([entry(4, 4)]));
    });

    it('ignores an append that lies wholly below the log origin', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      await store.compact(logIndex(3));
      await store.append([entry(1, 9), entry(2, 9)]);
      expectBounds(store, 4, 5);
      expect(shapeOf(store.entries(logIndex(4), logIndex(6), BYTES_UNLIMITED))).toEqual(shapeOf(FIVE_ENTRIES.slice(3)));
    });
  });
}

function describeByteLimit(create: CreateStore): void {
  describe('the byte limit of entries()', () => {
    // Five entries of exactly ten bytes of data each.
    const tenByteEntries = [1, 2, 3, 4, 5].map((i) => entry(i, 1, `ten bytes${i}`));
    const countWithin = async (bytesMax: number): Promise<number> =>
      (await storeWith(create, tenByteEntries)).entries(logIndex(1), logIndex(6), bytesMax).length;

    it('returns the longest prefix whose data fits the limit exactly', async () => {
      expect(await countWithin(30)).toBe(3);
      expect(await countWithin(29)).toBe(2);
      expect(await countWithin(50)).toBe(5);
    });

    it('always returns at least one entry, even when the first alone exceeds the limit', async () => {
      expect(await countWithin(5)).toBe(1);
      expect(await countWithin(0)).toBe(1);
    });

    it('returns the entries from lo, not from the first index', async () => {
      const store = await storeWith(create, tenByteEntries);
      expect(shapeOf(store.entries(logIndex(3), logIndex(6), 20))).toEqual(shapeOf(tenByteEntries.slice(2, 4)));
    });
  });
}

function describeCompaction(create: CreateStore): void {
  describe('compact', () => {
    it('discards entries up to the index and keeps its term as the log origin', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      await store.compact(logIndex(3));
      expectBounds(store, 4, 5);
      expect(store.term(logIndex(3))).toBe(2);
      expect(shapeOf(store.entries(logIndex(4), logIndex(6), BYTES_UNLIMITED))).toEqual(shapeOf(FIVE_ENTRIES.slice(3)));
    });

    it('reports Compacted below the origin: terms before it and entries from it', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      await store.compact(logIndex(3));
      await expectStorageError(() => store.term(logIndex(2)), StorageErrorCode.Compacted);
      await expectStorageError(() => store.entries(logIndex(3), logIndex(5), BYTES_UNLIMITED), StorageErrorCode.Compacted);
    });

    it('reports Compacted when compacting at or below the origin, and changes nothing', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      await store.compact(logIndex(3));
      await expectStorageError(() => store.compact(logIndex(3)), StorageErrorCode.Compacted);
      await expectStorageError(() => store.compact(logIndex(2)), StorageErrorCode.Compacted);
      expectBounds(store, 4, 5);
    });

    it('reports Unavailable when compacting past the last index, and changes nothing', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      await expectStorageError(() => store.compact(logIndex(6)), StorageErrorCode.Unavailable);
      expectBounds(store, 1, 5);
    });

    it('may compact the whole log; new entries then follow the origin', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      await store.compact(logIndex(5));
      expectBounds(store, 6, 5);
      expect(store.term(logIndex(5))).toBe(3);
      expect(store.entries(logIndex(6), logIndex(6), BYTES_UNLIMITED)).toEqual([]);
      await store.append([entry(6, 3)]);
      expect(shapeOf(store.entries(logIndex(6), logIndex(7), BYTES_UNLIMITED))).toEqual(shapeOf([entry(6, 3)]));
    });
  });
}

function snapshotView(snapshot: Snapshot): { index: number; term: number; confState: ConfState; data: string } {
  const { index, term: snapshotTerm, confState } = snapshot.metadata;
  return { index, term: snapshotTerm, confState, data: new TextDecoder().decode(snapshot.data) };
}

const STATE_DATA = new TextEncoder().encode('state machine at 4');

function describeCreateSnapshot(create: CreateStore): void {
  describe('createSnapshot', () => {
    it('records the snapshot with the term of its index and returns it from snapshot()', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      const created = await store.createSnapshot(logIndex(4), MEMBERS_WITH_LEARNER, STATE_DATA);
      const expected = { index: 4, term: 2, confState: MEMBERS_WITH_LEARNER, data: 'state machine at 4' };
      expect(snapshotView(created)).toEqual(expected);
      expect(snapshotView(store.snapshot())).toEqual(expected);
      expect(store.initialState().confState).toEqual(MEMBERS_WITH_LEARNER);
    });

    it('keeps the entries until compact discards them', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      await store.createSnapshot(logIndex(4), MEMBERS, STATE_DATA);
      expectBounds(store, 1, 5);
      await store.compact(logIndex(4));
      expectBounds(store, 5, 5);
      expect(store.snapshot().metadata.index).toBe(4);
    });

    it('reports SnapshotOutOfDate at or below the current snapshot, and keeps it', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      await expectStorageError(() => store.createSnapshot(logIndex(0), MEMBERS, STATE_DATA), StorageErrorCode.SnapshotOutOfDate);
      await store.createSnapshot(logIndex(4), MEMBERS, STATE_DATA);
      await expectStorageError(() => store.createSnapshot(logIndex(4), MEMBERS, STATE_DATA), StorageErrorCode.SnapshotOutOfDate);
      await expectStorageError(() => store.createSnapshot(logIndex(3), MEMBERS, STATE_DATA), StorageErrorCode.SnapshotOutOfDate);
      expect(snapshotView(store.snapshot()).index).toBe(4);
    });
  });
}

/** A snapshot received from a leader: index 10 in term 4, with a learner in the membership. */
const LEADER_SNAPSHOT: Snapshot = {
  metadata: { index: logIndex(10), term: term(4), confState: MEMBERS_WITH_LEARNER },
  data: new TextEncoder().encode('state machine at 10'),
};

function describeApplySnapshot(create: CreateStore): void {
  describe('applySnapshot', () => {
    it('replaces the whole log: the snapshot index becomes the origin with its term', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      await store.applySnapshot(LEADER_SNAPSHOT);
      expectBounds(store, 11, 10);
      expect(store.term(logIndex(10))).toBe(4);
      await expectStorageError(() => store.term(logIndex(9)), StorageErrorCode.Compacted);
      expect(snapshotView(store.snapshot())).toEqual(snapshotView(LEADER_SNAPSHOT));
      expect(store.initialState().confState).toEqual(MEMBERS_WITH_LEARNER);
      await store.append([entry(11, 4)]);
      expect(shapeOf(store.entries(logIndex(11), logIndex(12), BYTES_UNLIMITED))).toEqual(shapeOf([entry(11, 4)]));
    });

    it('discards entries after the snapshot index too', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      const atThree: Snapshot = { metadata: { index: logIndex(3), term: term(2), confState: MEMBERS }, data: STATE_DATA };
      await store.applySnapshot(atThree);
      expectBounds(store, 4, 3);
    });

    it('reports SnapshotOutOfDate for an older snapshot or the same one again, and changes nothing', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      await store.applySnapshot(LEADER_SNAPSHOT);
      await store.append([entry(11, 4)]);
      const older: Snapshot = { metadata: { index: logIndex(8), term: term(3), confState: MEMBERS }, data: STATE_DATA };
      await expectStorageError(() => store.applySnapshot(older), StorageErrorCode.SnapshotOutOfDate);
      await expectStorageError(() => store.applySnapshot(LEADER_SNAPSHOT), StorageErrorCode.SnapshotOutOfDate);
      expectBounds(store, 11, 11);
      expect(snapshotView(store.snapshot())).toEqual(snapshotView(LEADER_SNAPSHOT));
    });

    it('reports SnapshotOutOfDate for a snapshot older than one created locally', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      await store.createSnapshot(logIndex(4), MEMBERS, STATE_DATA);
      const older: Snapshot = { metadata: { index: logIndex(3), term: term(2), confState: MEMBERS }, data: STATE_DATA };
      await expectStorageError(() => store.applySnapshot(older), StorageErrorCode.SnapshotOutOfDate);
    });
  });
}

function describeHardState(create: CreateStore): void {
  describe('hard state', () => {
    it('returns the hard state saved most recently from initialState()', async () => {
      const store = await create({ confState: MEMBERS });
      const first: HardState = { term: term(3), vote: nodeId(2), commit: logIndex(4) };
      const second: HardState = { term: term(5), vote: nodeId(1), commit: logIndex(7) };
      await store.setHardState(first);
      expect(store.initialState()).toEqual({ hardState: first, confState: MEMBERS });
      await store.setHardState(second);
      expect(store.initialState().hardState).toEqual(second);
    });
  });
}

function describeReopen(create: CreateStore, reopen: (store: LogStore) => Promise<LogStore>): void {
  describe('after a reopen', () => {
    it('keeps the entries, the overwritten suffix, the hard state and the membership', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      await store.append([entry(4, 4)]);
      const hardState: HardState = { term: term(4), vote: nodeId(3), commit: logIndex(3) };
      await store.setHardState(hardState);
      const reopened = await reopen(store);
      expectBounds(reopened, 1, 4);
      const expected = [...FIVE_ENTRIES.slice(0, 3), entry(4, 4)];
      expect(shapeOf(reopened.entries(logIndex(1), logIndex(5), BYTES_UNLIMITED))).toEqual(shapeOf(expected));
      expect(reopened.initialState()).toEqual({ hardState, confState: MEMBERS });
    });

    it('keeps a created snapshot and the compaction', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      await store.createSnapshot(logIndex(4), MEMBERS_WITH_LEARNER, STATE_DATA);
      await store.compact(logIndex(3));
      const reopened = await reopen(store);
      expectBounds(reopened, 4, 5);
      expect(reopened.term(logIndex(3))).toBe(2);
      expect(snapshotView(reopened.snapshot())).toEqual(snapshotView(store.snapshot()));
      expect(reopened.initialState().confState).toEqual(MEMBERS_WITH_LEARNER);
    });

    it('keeps an applied snapshot and the entries appended after it', async () => {
      const store = await storeWith(create, FIVE_ENTRIES);
      await store.applySnapshot(LEADER_SNAPSHOT);
      await store.append([entry(11, 4), entry(12, 5)]);
      const reopened = await reopen(store);
      expectBounds(reopened, 11, 12);
      expect(reopened.term(logIndex(10))).toBe(4);
      expect(shapeOf(reopened.entries(logIndex(11), logIndex(13), BYTES_UNLIMITED))).toEqual(
        shapeOf([entry(11, 4), entry(12, 5)]),
      );
      expect(snapshotView(reopened.snapshot())).toEqual(snapshotView(LEADER_SNAPSHOT));
    });
  });
}
