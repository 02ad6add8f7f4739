// The live-key count behind bvault_mvcc_keys_total: puts that create a key add one, overwrites
// add none, deletes (by range, by lease revoke, in a txn) take theirs away; the count is right
// again after a reopen, and after a restore replaced the state.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytes, del, type Harness, openHarness, prefixEnd, put } from './helpers.js';
import { waitFor } from '../cluster/cluster-harness.js';

let h: Harness;
beforeEach(async () => {
  h = await openHarness();
});
afterEach(async () => {
  await h.close();
});

const counted = (harness: Harness): Promise<number> => waitFor('the keys to be counted', 10_000, () => harness.store.keyCount);

async function* single(data: Uint8Array): AsyncIterable<Uint8Array> {
  yield data;
}

describe('the live-key count', () => {
  it('follows creates, overwrites and every kind of delete', async () => {
    expect(await counted(h)).toBe(0);
    await h.applyAll([put('a', '1'), put('b', '1'), put('a', '2'), put('p/1', 'x'), put('p/2', 'x'), put('p/3', 'x')]);
    expect(h.store.keyCount).toBe(5);
    await h.apply(del('p/', prefixEnd('p/')));
    expect(h.store.keyCount).toBe(2);
    await h.apply(del('missing'));
    expect(h.store.keyCount).toBe(2);
    await h.apply({ type: 'leaseGrant', leaseGrant: { ttl: 30, id: 7 } });
    await h.applyAll([put('leased-1', 'x', { lease: 7 }), put('leased-2', 'x', { lease: 7 })]);
    expect(h.store.keyCount).toBe(4);
    await h.apply({ type: 'leaseRevoke', leaseRevoke: { id: 7 } });
    expect(h.store.keyCount).toBe(2);
    await h.apply({ type: 'txn', txn: { compare: [], success: [{ type: 'deleteRange', deleteRange: { key: bytes('a') } }, { type: 'put', put: { key: bytes('c'), value: bytes('1') } }], failure: [] } });
    expect(h.store.keyCount).toBe(2);
  });

  it('counts the stored keys again after a reopen, and after a restore', async () => {
    await h.applyAll(Array.from({ length: 600 }, (_, index) => put(`key-${index}`, 'v')));
    await h.apply(del('key-0'));
    await h.reopen();
    expect(await counted(h)).toBe(599);
    const snapshot: Uint8Array[] = [];
    for await (const chunk of h.store.snapshot()) snapshot.push(chunk);
    const target = await openHarness();
    try {
      await target.applyAll([put('only-here', 'x')]);
      expect(await counted(target)).toBe(1);
      await target.store.restore(single(Buffer.concat(snapshot)));
      expect(await counted(target)).toBe(599);
    } finally {
      await target.close();
    }
  });
});
