import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logIndex, term } from '../../src/raft/index.js';
import { parseSegmentFileName } from '../../src/storage/file-names.js';
import { entry, openStore, reopenStore, segmentPaths, shapeOf, temporaryDirectory, useTemporaryDirectories } from './helpers.js';

useTemporaryDirectories();

const UNLIMITED = Number.MAX_SAFE_INTEGER;
const SEGMENT_BYTES_MAX = 1024;
const SIXTY_ENTRIES = Array.from({ length: 60 }, (_, i) => entry(i + 1, 1, `${i + 1}`.padEnd(100, '.')));

async function segmentNames(directory: string): Promise<{ sequence: number; firstIndex: number }[]> {
  return (await segmentPaths(directory)).map((path) => parseSegmentFileName(basename(path))!);
}

/** A store with entries 1..60 of about 100 bytes, appended one record at a time. */
async function storeWithSixtyEntries(): Promise<{ directory: string; store: Awaited<ReturnType<typeof openStore>> }> {
  const directory = await temporaryDirectory();
  const store = await openStore(directory, { segmentBytesMax: SEGMENT_BYTES_MAX });
  for (const e of SIXTY_ENTRIES) await store.append([e]);
  return { directory, store };
}

describe('WAL segments', () => {
  it('roll at the size limit, named in sequence with the index each starts at', async () => {
    const { directory, store } = await storeWithSixtyEntries();
    const names = await segmentNames(directory);
    expect(names.length).toBeGreaterThanOrEqual(6);
    expect(store.stats().segments).toBe(names.length);
    names.forEach((name, i) => expect(name.sequence).toBe(i + 1));
    expect(names[0]!.firstIndex).toBe(1);
    for (let i = 1; i < names.length; i++) expect(names[i]!.firstIndex).toBeGreaterThan(names[i - 1]!.firstIndex);
    const reopened = await reopenStore(store, { segmentBytesMax: SEGMENT_BYTES_MAX });
    expect(shapeOf(reopened.entries(logIndex(1), logIndex(61), UNLIMITED))).toEqual(shapeOf(SIXTY_ENTRIES));
  });

  it('holding only entries covered by a durable snapshot and compacted are deleted', async () => {
    const { directory, store } = await storeWithSixtyEntries();
    const before = await segmentNames(directory);
    await store.createSnapshot(logIndex(40), store.initialState().confState, new TextEncoder().encode('state at 40'));
    await store.compact(logIndex(40));
    const after = await segmentNames(directory);
    expect(after.length).toBeLessThan(before.length);
    // The oldest survivor holds entry 41 or an entry after it; every segment before it held only entries <= 40.
    expect(after[0]!.firstIndex).toBeLessThanOrEqual(41);
    expect(after[1]!.firstIndex).toBeGreaterThan(41);
    expect(before.filter((name) => name.sequence < after[0]!.sequence).length).toBe(before.length - after.length);
    const reopened = await reopenStore(store, { segmentBytesMax: SEGMENT_BYTES_MAX });
    expect({ first: reopened.firstIndex(), last: reopened.lastIndex(), snapshot: reopened.snapshot().metadata.index }).toEqual({
      first: 41,
      last: 60,
      snapshot: 40,
    });
    expect(shapeOf(reopened.entries(logIndex(41), logIndex(61), UNLIMITED))).toEqual(shapeOf(SIXTY_ENTRIES.slice(40)));
  });

  it('are kept when compaction passes the newest snapshot, since no durable snapshot covers them', async () => {
    const { directory, store } = await storeWithSixtyEntries();
    const before = await segmentNames(directory);
    await store.compact(logIndex(50));
    expect(await segmentNames(directory)).toEqual(before);
    const reopened = await reopenStore(store, { segmentBytesMax: SEGMENT_BYTES_MAX });
    expect({ first: reopened.firstIndex(), last: reopened.lastIndex(), originTerm: reopened.term(logIndex(50)) }).toEqual({
      first: 51,
      last: 60,
      originTerm: 1,
    });
  });

  it('are all deleted but the newest once a snapshot from the leader replaces the log', async () => {
    const { directory, store } = await storeWithSixtyEntries();
    const snapshot = { metadata: { index: logIndex(100), term: term(3), confState: store.initialState().confState }, data: new Uint8Array([1]) };
    await store.applySnapshot(snapshot);
    expect(await segmentNames(directory)).toHaveLength(1);
    await store.append([entry(101, 3)]);
    const reopened = await reopenStore(store, { segmentBytesMax: SEGMENT_BYTES_MAX });
    expect({ first: reopened.firstIndex(), last: reopened.lastIndex() }).toEqual({ first: 101, last: 101 });
  });
});
