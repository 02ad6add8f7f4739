// Reads served to clients run their point reads on LevelDB's thread pool, so writes land
// while a read is under way. Every write here rewrites all keys in one revision (one txn), so
// a read that mixed two points in time would see two different values.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MvccRequest, RangeResponse, RequestOp } from '../../src/mvcc/requests.js';
import { bytes, type Harness, openHarness, text } from './helpers.js';

const KEYS = Array.from({ length: 100 }, (_unused, index) => `k${String(index).padStart(3, '0')}`);
const READ_ROUNDS = 15;
/** The read at the first revision walks every key's history, so the history stays short. */
const WRITE_ROUNDS_MAX = 150;

let h: Harness;
beforeEach(async () => {
  h = await openHarness();
});
afterEach(async () => {
  await h.close();
});

function rewriteAll(round: number): MvccRequest {
  const success: RequestOp[] = KEYS.map((key) => ({ type: 'put', put: { key: bytes(key), value: bytes(`v${round}`) } }));
  return { type: 'txn', txn: { compare: [], success, failure: [] } };
}

/** The one value every key holds in `range`, failing when they differ. */
function singleValue(ranges: readonly RangeResponse[]): string {
  const values = new Set(ranges.flatMap((range) => range.kvs.map((kv) => text(kv.value))));
  expect([...values]).toHaveLength(1);
  return [...values][0] as string;
}

describe('reads while writes land', () => {
  it('a range, a read txn of point reads and a range at a revision each read one consistent snapshot', async () => {
    await h.apply(rewriteAll(0));
    const firstRevision = h.store.currentRevision;
    let reading = true;
    let rounds = 0;
    const writer = (async () => {
      while (reading && rounds < WRITE_ROUNDS_MAX) await h.apply(rewriteAll(++rounds));
    })();
    const valuesSeen = new Set<string>();
    const reader = (async () => {
      for (let read = 0; read < READ_ROUNDS; read++) {
        const [latest, atFirst, txn, point] = await Promise.all([
          h.store.range({ key: bytes('k'), rangeEnd: bytes('l') }),
          h.store.range({ key: bytes('k'), rangeEnd: bytes('l'), revision: firstRevision }),
          h.store.readTxn({ compare: [], success: KEYS.map((key) => ({ type: 'range', range: { key: bytes(key) } })), failure: [] }),
          h.store.range({ key: bytes('k050') }),
        ]);
        expect(latest.kvs).toHaveLength(KEYS.length);
        const value = singleValue([latest]);
        valuesSeen.add(value);
        // The header's revision is the one the values were read at.
        expect(latest.kvs.every((kv) => kv.modRevision === latest.header.revision)).toBe(true);
        expect(singleValue([atFirst])).toBe('v0');
        const txnRanges = txn.responses.map((response) => (response.type === 'range' ? response.range : undefined)).filter((range) => range !== undefined);
        expect(txnRanges).toHaveLength(KEYS.length);
        singleValue(txnRanges);
        expect(txnRanges.every((range) => range.kvs[0]?.modRevision === txn.header.revision)).toBe(true);
        // A point read reads the key and the revision together, at one point in time.
        expect(point.header.revision).toBe(point.kvs[0]?.modRevision);
      }
      reading = false;
    })();
    await Promise.all([writer, reader]);
    // The reads overlapped the writes: they saw more than one state along the way.
    expect(valuesSeen.size).toBeGreaterThan(1);
    expect(singleValue([await h.store.range({ key: bytes('k'), rangeEnd: bytes('l') })])).toBe(`v${rounds}`);
  });
});
