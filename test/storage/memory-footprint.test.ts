import { describe, expect, it } from 'vitest';
import { logIndex } from '../../src/raft/index.js';
import { entry, openStore, temporaryDirectory, useTemporaryDirectories } from './helpers.js';

useTemporaryDirectories();

/** An entry whose data is exactly `bytes` long. */
const sized = (index: number, entryTerm: number, bytes: number) => entry(index, entryTerm, 'x'.repeat(bytes));

describe('the bytes the log holds in memory', () => {
  it('follow appends, overwritten suffixes, compaction and reopening', async () => {
    const directory = await temporaryDirectory();
    const store = await openStore(directory);
    await store.append([sized(1, 1, 100), sized(2, 1, 200), sized(3, 1, 300)]);
    expect(store.entriesDataBytes).toBe(600);
    // A leader of term 2 replaces entries 2 and 3 with one entry of 50 bytes.
    await store.append([sized(2, 2, 50)]);
    expect(store.entriesDataBytes).toBe(150);
    await store.compact(logIndex(1));
    expect(store.entriesDataBytes).toBe(50);
    await store.close();
    expect((await openStore(directory)).entriesDataBytes).toBe(50);
  });

  it('name the lowest origin that keeps the newest entries within a byte budget', async () => {
    const store = await openStore(await temporaryDirectory());
    await store.append([1, 2, 3, 4, 5].map((index) => sized(index, 1, 100)));
    expect(store.originKeepingBytes(1_000)).toBe(0);
    expect(store.originKeepingBytes(250)).toBe(3);
    expect(store.originKeepingBytes(300)).toBe(2);
    expect(store.originKeepingBytes(0)).toBe(5);
  });
});
