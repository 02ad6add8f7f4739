import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytes, del, type Harness, openHarness, put, text } from './helpers.js';
import { SortOrder, SortTarget, type MvccResponse } from '../../src/mvcc/requests.js';

let h: Harness;
beforeEach(async () => {
  h = await openHarness();
});
afterEach(async () => {
  await h.close();
});

const putResponse = (response: MvccResponse) => {
  if (response.type !== 'put') throw new Error('not a put response');
  return response.put;
};

describe('revisions and key metadata', () => {
  it('starts at revision 1 and bumps the revision once per put', async () => {
    expect(h.store.currentRevision).toBe(1);
    expect(putResponse(await h.apply(put('a', '1'))).header.revision).toBe(2);
    await h.apply(put('a', '2'));
    await h.apply(put('b', '1'));
    expect(h.store.currentRevision).toBe(4);
    const a = (await h.get('a')).kvs[0];
    expect(a).toMatchObject({ createRevision: 2, modRevision: 3, version: 2, lease: 0 });
    expect(text(a?.value ?? new Uint8Array())).toBe('2');
  });

  it('returns prevKv on put only when asked', async () => {
    await h.apply(put('a', '1'));
    expect(putResponse(await h.apply(put('a', '2'))).prevKv).toBeUndefined();
    const response = putResponse(await h.apply(put('a', '3', { prevKv: true })));
    expect(text(response.prevKv?.value ?? new Uint8Array())).toBe('2');
  });

  it('keeps value and lease with ignoreValue/ignoreLease and fails when the key is missing', async () => {
    await h.apply(put('a', 'v', { contentType: 'text/plain', tags: { b: '2', a: '1' } }), 5_000);
    await h.apply(put('a', '', { ignoreValue: true }), 6_000);
    const kv = (await h.get('a')).kvs[0];
    expect(text(kv?.value ?? new Uint8Array())).toBe('v');
    expect(kv?.version).toBe(2);
    expect(kv?.metadata).toEqual({ contentType: 'text/plain', createdAtMs: 5_000, updatedAtMs: 6_000, tags: [['a', '1'], ['b', '2']] });
    await expect(h.apply(put('missing', '', { ignoreValue: true }))).rejects.toMatchObject({ code: 'MVCC_KEY_NOT_FOUND', message: 'etcdserver: key not found' });
    await expect(h.apply(put('a', 'x', { ignoreValue: true }))).rejects.toMatchObject({ code: 'MVCC_VALUE_PROVIDED' });
    expect(h.store.currentRevision).toBe(3);
  });

  it('a plain put replaces content type and tags but keeps the creation time', async () => {
    await h.apply(put('a', 'v', { contentType: 'application/json', tags: { x: 'y' } }), 10);
    await h.apply(put('a', 'w'), 20);
    expect((await h.get('a')).kvs[0]?.metadata).toEqual({ contentType: '', createdAtMs: 10, updatedAtMs: 20, tags: [] });
  });
});

describe('range', () => {
  beforeEach(async () => {
    await h.applyAll(['a', 'b', 'c', 'd', 'e'].map((key, index) => put(key, `${key}${index}`)));
  });

  it('reads [key, rangeEnd) with count, limit and more', async () => {
    const response = await h.store.range({ key: bytes('b'), rangeEnd: bytes('e'), limit: 2 });
    expect(response.kvs.map((kv) => text(kv.key))).toEqual(['b', 'c']);
    expect(response).toMatchObject({ more: true, count: 3 });
    const all = await h.store.range({ key: bytes('b'), rangeEnd: bytes('e'), limit: 3 });
    expect(all.more).toBe(false);
  });

  it('treats rangeEnd "\\0" as every key from key on', async () => {
    const response = await h.store.range({ key: bytes('c'), rangeEnd: new Uint8Array([0]) });
    expect(response.kvs.map((kv) => text(kv.key))).toEqual(['c', 'd', 'e']);
    expect((await h.store.range({ key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) })).count).toBe(5);
  });

  it('supports countOnly and keysOnly', async () => {
    const counted = await h.store.range({ key: bytes('a'), rangeEnd: bytes('z'), countOnly: true });
    expect(counted).toMatchObject({ kvs: [], count: 5, more: false });
    const keys = await h.store.range({ key: bytes('a'), rangeEnd: bytes('z'), keysOnly: true, limit: 1 });
    expect(keys.kvs[0]?.value.length).toBe(0);
    expect(keys.kvs[0]?.modRevision).toBe(2);
  });

  it('sorts by target and order, then limits', async () => {
    await h.apply(put('a', 'zz'));
    const byMod = await h.store.range({ key: bytes('a'), rangeEnd: bytes('z'), sortTarget: SortTarget.Mod, sortOrder: SortOrder.Descend, limit: 2 });
    expect(byMod.kvs.map((kv) => text(kv.key))).toEqual(['a', 'e']);
    expect(byMod.more).toBe(true);
    const byValueDefault = await h.store.range({ key: bytes('a'), rangeEnd: bytes('z'), sortTarget: SortTarget.Value });
    expect(byValueDefault.kvs.map((kv) => text(kv.key))).toEqual(['b', 'c', 'd', 'e', 'a']);
    const byKeyDesc = await h.store.range({ key: bytes('a'), rangeEnd: bytes('z'), sortOrder: SortOrder.Descend });
    expect(byKeyDesc.kvs.map((kv) => text(kv.key))).toEqual(['e', 'd', 'c', 'b', 'a']);
  });

  it('filters by min/max mod and create revision while count stays the whole range', async () => {
    await h.apply(put('b', 'again'));
    const response = await h.store.range({ key: bytes('a'), rangeEnd: bytes('z'), minModRevision: 3, maxModRevision: 4, maxCreateRevision: 3 });
    expect(response.kvs.map((kv) => text(kv.key))).toEqual([]);
    const created = await h.store.range({ key: bytes('a'), rangeEnd: bytes('z'), minCreateRevision: 3, maxCreateRevision: 4 });
    expect(created.kvs.map((kv) => text(kv.key))).toEqual(['b', 'c']);
    expect(created.count).toBe(5);
  });

  it('reads at a historical revision and reports the current revision in the header', async () => {
    await h.apply(put('a', 'new'));
    await h.apply(del('c'));
    const old = await h.store.range({ key: bytes('a'), rangeEnd: bytes('z'), revision: 2 });
    expect(old.kvs.map((kv) => `${text(kv.key)}=${text(kv.value)}`)).toEqual(['a=a0']);
    expect(old.header.revision).toBe(8);
    expect((await h.store.range({ key: bytes('a'), rangeEnd: bytes('z'), revision: 3 })).count).toBe(2);
    expect((await h.store.range({ key: bytes('a'), rangeEnd: bytes('z'), revision: 6 })).count).toBe(5);
    expect(text((await h.get('a', 6)).kvs[0]?.value ?? new Uint8Array())).toBe('a0');
    expect(text((await h.get('c', 7)).kvs[0]?.value ?? new Uint8Array())).toBe('c2');
    expect((await h.get('c', 8)).count).toBe(0);
    expect((await h.store.range({ key: bytes('a'), rangeEnd: bytes('z') })).count).toBe(4);
  });

  it('rejects future revisions', async () => {
    await expect(h.get('a', 99)).rejects.toMatchObject({ code: 'MVCC_FUTURE_REV', message: 'etcdserver: mvcc: required revision is a future revision' });
  });
});

describe('delete range', () => {
  it('deletes a range in one revision and returns prevKvs', async () => {
    await h.applyAll([put('a', '1'), put('b', '2'), put('c', '3')]);
    const response = await h.apply(del('a', 'c', true));
    if (response.type !== 'deleteRange') throw new Error('wrong type');
    expect(response.deleteRange.deleted).toBe(2);
    expect(response.deleteRange.prevKvs.map((kv) => text(kv.key))).toEqual(['a', 'b']);
    expect(response.deleteRange.header.revision).toBe(5);
    expect((await h.store.range({ key: bytes('a'), rangeEnd: bytes('z') })).kvs.map((kv) => text(kv.key))).toEqual(['c']);
  });

  it('does not bump the revision when nothing is deleted', async () => {
    await h.apply(put('a', '1'));
    const response = await h.apply(del('zzz'));
    expect(response).toMatchObject({ type: 'deleteRange', deleteRange: { deleted: 0, header: { revision: 2 } } });
    expect(h.store.currentRevision).toBe(2);
  });

  it('restarts the version and create revision after a delete', async () => {
    await h.applyAll([put('a', '1'), put('a', '2'), del('a'), put('a', '3')]);
    expect((await h.get('a')).kvs[0]).toMatchObject({ createRevision: 5, modRevision: 5, version: 1 });
  });
});

describe('apply batches', () => {
  it('lets later requests in a batch see earlier ones and isolates a failing request', async () => {
    const results = await h.applyAll([put('a', '1'), put('', 'bad'), put('a', '2', { prevKv: true }), del('nothing')]);
    expect(results.map((result) => result.outcome)).toEqual(['ok', 'error', 'ok', 'ok']);
    const second = results[1];
    expect(second?.outcome === 'error' && second.error.code).toBe('MVCC_EMPTY_KEY');
    const third = results[2];
    expect(third?.outcome === 'ok' && third.response.type === 'put' && text(third.response.put.prevKv?.value ?? new Uint8Array())).toBe('1');
    expect(h.store.currentRevision).toBe(3);
    expect(h.store.appliedIndex).toBe(4);
  });

  it('advances the applied index for empty (no-op) entries only', async () => {
    const results = await h.store.apply([{ index: 1, term: 2, data: new Uint8Array() }]);
    expect(results).toEqual([{ index: 1, outcome: 'noop' }]);
    expect(h.store.appliedIndex).toBe(1);
    expect(h.store.appliedTerm).toBe(2);
    expect(h.store.currentRevision).toBe(1);
  });

  it('reports malformed entries without stopping the batch', async () => {
    h.index = 0;
    const results = await h.store.apply([{ index: 1, term: 1, data: new Uint8Array([9, 9]) }]);
    expect(results[0]).toMatchObject({ outcome: 'error', error: { code: 'MVCC_MALFORMED_REQUEST' } });
    expect(h.store.appliedIndex).toBe(1);
  });
});
