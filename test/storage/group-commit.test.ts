import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../../src/raft/index.js';
import { entry, openStore, reopenStore, temporaryDirectory, useTemporaryDirectories } from './helpers.js';

useTemporaryDirectories();

const hardState = { term: term(1), vote: nodeId(1), commit: logIndex(0) };

describe('group commit', () => {
  it('persists entries and hard state issued together with one fsync', async () => {
    const store = await openStore(await temporaryDirectory());
    const before = store.stats().fsyncs;
    await Promise.all([store.append([entry(1, 1), entry(2, 1)]), store.setHardState(hardState)]);
    expect(store.stats().fsyncs - before).toBe(1);
  });

  it('coalesces 200 concurrent appends into one write and one fsync', async () => {
    const store = await openStore(await temporaryDirectory());
    const before = store.stats();
    const appends = Array.from({ length: 200 }, (_, i) => store.append([entry(i + 1, 1)]));
    await Promise.all(appends);
    const after = store.stats();
    expect(after.fsyncs - before.fsyncs).toBe(1);
    expect(store.lastIndex()).toBe(200);
    expect(after.bytesWritten).toBeGreaterThan(before.bytesWritten);
  });

  it('gives records issued while a flush runs one shared fsync of their own', async () => {
    const store = await openStore(await temporaryDirectory());
    const before = store.stats().fsyncs;
    const first = store.append([entry(1, 1)]);
    // Let the first flush start before the next two are issued.
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all([first, store.append([entry(2, 1)]), store.setHardState(hardState)]);
    expect(store.stats().fsyncs - before).toBe(2);
  });

  it('fsyncs once per write when each write is awaited before the next', async () => {
    const store = await openStore(await temporaryDirectory());
    const before = store.stats().fsyncs;
    for (let i = 1; i <= 5; i++) await store.append([entry(i, 1)]);
    expect(store.stats().fsyncs - before).toBe(5);
  });

  it('writes a hard state not asked to sync without an fsync, and replays it', async () => {
    const store = await openStore(await temporaryDirectory());
    await store.append([entry(1, 1), entry(2, 1)]);
    const before = store.stats();
    const committed = { ...hardState, commit: logIndex(2) };
    await store.setHardState(committed, false);
    const after = store.stats();
    expect(after.fsyncs - before.fsyncs).toBe(0);
    expect(after.bytesWritten).toBeGreaterThan(before.bytesWritten);
    const reopened = await reopenStore(store);
    expect(reopened.initialState().hardState).toEqual(committed);
  });

  it('fsyncs a batch once when one of its records asks to sync', async () => {
    const store = await openStore(await temporaryDirectory());
    const before = store.stats().fsyncs;
    await Promise.all([store.setHardState(hardState, false), store.append([entry(1, 1)])]);
    expect(store.stats().fsyncs - before).toBe(1);
  });

  it('resolves writes in the order they were issued', async () => {
    const store = await openStore(await temporaryDirectory());
    const resolved: number[] = [];
    const first = store.append([entry(1, 1)]).then(() => resolved.push(1));
    await new Promise((resolve) => setImmediate(resolve));
    const second = store.append([entry(2, 1)]).then(() => resolved.push(2));
    await Promise.all([first, second]);
    expect(resolved).toEqual([1, 2]);
  });
});
