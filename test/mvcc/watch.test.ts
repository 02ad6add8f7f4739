import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytes, del, type Harness, openHarness, prefixEnd, put, text } from './helpers.js';
import type { Watcher, WatchResponse } from '../../src/mvcc/watcher.js';

let h: Harness;
beforeEach(async () => {
  h = await openHarness({ watch: { bufferEventsMax: 8, catchUpPageEvents: 4 } });
});
afterEach(async () => {
  await h.close();
});

/** Reads responses until `count` events arrived; fails on a timeout instead of hanging. */
async function collect(watcher: Watcher, count: number): Promise<string[]> {
  const seen: string[] = [];
  const iterator = watcher[Symbol.asyncIterator]();
  while (seen.length < count) {
    const next = await Promise.race([iterator.next(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${seen.join(',')}`)), 5_000))]);
    if (next.done === true) break;
    for (const event of next.value.events) seen.push(`${event.type}:${text(event.kv.key)}@${event.kv.modRevision}${event.prevKv === undefined ? '' : `<${text(event.prevKv.value)}`}`);
  }
  return seen;
}

async function nextResponse(watcher: Watcher): Promise<WatchResponse> {
  const next = await watcher[Symbol.asyncIterator]().next();
  if (next.done === true) throw new Error('watch ended');
  return next.value;
}

describe('watch', () => {
  it('delivers live events on a key or a prefix, with prevKv and filters', async () => {
    const key = h.store.watch({ key: bytes('a') });
    const prefix = h.store.watch({ key: bytes('p/'), rangeEnd: bytes(prefixEnd('p/')), prevKv: true });
    const noPut = h.store.watch({ key: bytes('p/'), rangeEnd: bytes(prefixEnd('p/')), noPut: true });
    await h.applyAll([put('a', '1'), put('p/1', 'x'), put('b', '1')]);
    await h.apply(put('p/1', 'y'));
    await h.apply(del('p/', prefixEnd('p/')));
    expect(await collect(key, 1)).toEqual(['put:a@2']);
    expect(await collect(prefix, 3)).toEqual(['put:p/1@3', 'put:p/1@5<x', 'delete:p/1@6<y']);
    expect(await collect(noPut, 1)).toEqual(['delete:p/1@6']);
  });

  it('replays history from a past revision and joins the live stream without gap or duplicate', async () => {
    for (let index = 0; index < 20; index++) await h.apply(put(`k${index % 3}`, `${index}`));
    const watcher = h.store.watch({ key: bytes('k'), rangeEnd: bytes('l'), startRevision: 5 });
    const reading = collect(watcher, 20 - 3 + 10);
    for (let index = 20; index < 30; index++) await h.apply(put(`k${index % 3}`, `${index}`));
    const events = await reading;
    expect(events.map((event) => Number(event.split('@')[1]))).toEqual(Array.from({ length: 27 }, (_, index) => index + 5));
  });

  it('moves a slow watcher to history instead of buffering without bound, and still delivers everything', async () => {
    const watcher = h.store.watch({ key: bytes('s'), rangeEnd: bytes('t') });
    for (let index = 0; index < 40; index++) await h.apply(put(`s${index}`, 'v'));
    expect(watcher.synced).toBe(false);
    expect(watcher.room).toBeGreaterThanOrEqual(0);
    const events = await collect(watcher, 40);
    expect(events).toEqual(Array.from({ length: 40 }, (_, index) => `put:s${index}@${index + 2}`));
  });

  it('replays a revision with more events than a history page in one response, so a resumed client loses none of it', async () => {
    const puts = Array.from({ length: 6 }, (_, index) => ({ type: 'put' as const, put: { key: bytes(`t${index}`), value: bytes('v') } }));
    await h.apply({ type: 'txn', txn: { compare: [], success: puts, failure: [] } });
    const watcher = h.store.watch({ key: bytes('t'), rangeEnd: bytes('u'), startRevision: 1 });
    const response = await nextResponse(watcher);
    expect(response.events.map((event) => `${text(event.kv.key)}@${event.kv.modRevision}`)).toEqual(Array.from({ length: 6 }, (_, index) => `t${index}@2`));
  });

  it('fails a watch from a compacted revision with the compact revision', async () => {
    for (let index = 0; index < 5; index++) await h.apply(put('c', `${index}`));
    await h.apply({ type: 'compaction', compaction: { revision: 4 } });
    const watcher = h.store.watch({ key: bytes('c'), startRevision: 2 });
    const response = await nextResponse(watcher);
    expect(response).toMatchObject({ canceled: true, compactRevision: 4, cancelReason: 'etcdserver: mvcc: required revision has been compacted' });
    expect((await watcher[Symbol.asyncIterator]().next()).done).toBe(true);
    const fromCompact = h.store.watch({ key: bytes('c'), startRevision: 4 });
    expect(await collect(fromCompact, 3)).toEqual(['put:c@4', 'put:c@5', 'put:c@6']);
  });

  it('sends progress notifications with the current revision and stops after cancel', async () => {
    const watcher = h.store.watch({ key: bytes('x'), progressNotify: true });
    await h.apply(put('other', '1'));
    h.store.notifyWatchProgress();
    const progress = await nextResponse(watcher);
    expect(progress.events).toEqual([]);
    expect(progress.header.revision).toBe(2);
    watcher.requestProgress();
    expect((await nextResponse(watcher)).header.revision).toBe(2);
    watcher.cancel();
    expect(h.store.watcherCount).toBe(0);
    await h.apply(put('x', '1'));
    expect((await watcher[Symbol.asyncIterator]().next()).done).toBe(true);
  });

  it('watches from a future revision skip earlier events', async () => {
    const watcher = h.store.watch({ key: bytes('f'), startRevision: 4 });
    await h.apply(put('f', '1'));
    await h.apply(put('f', '2'));
    await h.apply(put('f', '3'));
    await h.apply(put('f', '4'));
    expect(await collect(watcher, 2)).toEqual(['put:f@4', 'put:f@5']);
  });
});
