import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytes, del, type Harness, openHarness, put, text } from './helpers.js';
import { CompareResult, type Compare, type MvccRequest, type RequestOp, type TxnResponse } from '../../src/mvcc/requests.js';
import { decodeRequest, encodeRequest } from '../../src/mvcc/request-codec.js';
import { MvccError } from '../../src/mvcc/errors.js';

let h: Harness;
beforeEach(async () => {
  h = await openHarness({ limits: { keyBytesMax: 16, valueBytesMax: 64, txnOperationsMax: 3, requestBytesMax: 300 } });
});
afterEach(async () => {
  await h.close();
});

const op = (request: MvccRequest): RequestOp => request as RequestOp;
const txn = (compare: Compare[], success: RequestOp[], failure: RequestOp[] = []): MvccRequest => ({ type: 'txn', txn: { compare, success, failure } });
const txnResponse = async (request: MvccRequest): Promise<TxnResponse> => {
  const response = await h.apply(request);
  if (response.type !== 'txn') throw new Error('not a txn');
  return response.txn;
};

describe('transactions', () => {
  it('chooses the branch by compares on version, value, create, mod and lease', async () => {
    await h.apply(put('k', 'v1'));
    const cases: Array<[Compare, boolean]> = [
      [{ target: 'version', version: 1, result: CompareResult.Equal, key: bytes('k') }, true],
      [{ target: 'value', value: bytes('v1'), result: CompareResult.Equal, key: bytes('k') }, true],
      [{ target: 'value', value: bytes('a'), result: CompareResult.Greater, key: bytes('k') }, true],
      [{ target: 'create', createRevision: 2, result: CompareResult.Equal, key: bytes('k') }, true],
      [{ target: 'mod', modRevision: 3, result: CompareResult.Less, key: bytes('k') }, true],
      [{ target: 'lease', lease: 0, result: CompareResult.Equal, key: bytes('k') }, true],
      [{ target: 'version', version: 0, result: CompareResult.Equal, key: bytes('missing') }, true],
      [{ target: 'value', value: bytes(''), result: CompareResult.Equal, key: bytes('missing') }, false],
      [{ target: 'version', version: 1, result: CompareResult.NotEqual, key: bytes('k') }, false],
    ];
    for (const [compare, expected] of cases) {
      const response = await txnResponse(txn([compare], [op({ type: 'range', range: { key: bytes('k') } })]));
      expect(response.succeeded, JSON.stringify(compare.target)).toBe(expected);
    }
    expect(h.store.currentRevision).toBe(2);
  });

  it('applies all writes under one revision and reads its own writes', async () => {
    const response = await txnResponse(txn([], [op(put('a', '1')), op(put('b', '2')), op({ type: 'range', range: { key: bytes('a'), rangeEnd: bytes('c') } })]));
    expect(response.header.revision).toBe(2);
    const range = response.responses[2];
    expect(range?.type === 'range' && range.range.kvs.map((kv) => `${text(kv.key)}@${kv.modRevision}`)).toEqual(['a@2', 'b@2']);
    expect((await h.get('b')).kvs[0]?.modRevision).toBe(2);
  });

  it('runs the failure branch and nested transactions with compares evaluated before the txn', async () => {
    await h.apply(put('x', '1'));
    const nested = txn([{ target: 'version', version: 1, result: CompareResult.Equal, key: bytes('x') }], [op(put('y', 'nested-then'))], [op(put('y', 'nested-else'))]);
    const response = await txnResponse(txn([{ target: 'version', version: 5, result: CompareResult.Equal, key: bytes('x') }], [], [op(put('x', '2')), op(nested)]));
    expect(response.succeeded).toBe(false);
    // The nested compare saw x at version 1 although the outer failure branch had already put x.
    expect(text((await h.get('y')).kvs[0]?.value ?? new Uint8Array())).toBe('nested-then');
    expect(h.store.currentRevision).toBe(3);
  });

  it('does not bump the revision for a read-only txn or one whose delete finds nothing', async () => {
    await txnResponse(txn([], [op({ type: 'range', range: { key: bytes('a') } }), op(del('nothing'))]));
    expect(h.store.currentRevision).toBe(1);
  });

  it('rejects a txn that writes the same key twice, or puts and deletes it', async () => {
    for (const request of [
      txn([], [op(put('a', '1')), op(put('a', '2'))]),
      txn([], [op(put('b', '1')), op(del('a', 'c'))]),
      txn([], [op(put('a', '1')), op(txn([], [op(put('a', '2'))]))]),
    ]) {
      await expect(h.apply(request)).rejects.toMatchObject({ code: 'MVCC_DUPLICATE_KEY_IN_TXN', message: 'etcdserver: duplicate key given in txn request' });
    }
    // Then and else of one nested txn may put the same key: only one of them runs.
    await h.apply(txn([], [op(txn([], [op(put('a', '1'))], [op(put('a', '2'))]))]));
    expect(h.store.currentRevision).toBe(2);
  });

  it('fails a txn that puts with an unknown lease without writing anything', async () => {
    await expect(h.apply(txn([], [op(put('a', '1')), op(put('b', '2', { lease: 77 }))]))).rejects.toMatchObject({ code: 'MVCC_LEASE_NOT_FOUND', message: 'etcdserver: requested lease not found: lease 77 (0x4d)' });
    expect((await h.get('a')).count).toBe(0);
    expect(h.store.currentRevision).toBe(1);
  });

  it('supports put-if-version-match as a compare on version', async () => {
    await h.apply(put('doc', 'v1'));
    const ifVersion = (version: number, value: string) => txn([{ target: 'version', version, result: CompareResult.Equal, key: bytes('doc') }], [op(put('doc', value))]);
    expect((await txnResponse(ifVersion(1, 'v2'))).succeeded).toBe(true);
    expect((await txnResponse(ifVersion(1, 'v3'))).succeeded).toBe(false);
    expect(text((await h.get('doc')).kvs[0]?.value ?? new Uint8Array())).toBe('v2');
  });
});

describe('limits', () => {
  it('names every exceeded limit and changes nothing', async () => {
    await expect(h.apply(put('k'.repeat(17), 'v'))).rejects.toMatchObject({ code: 'MVCC_KEY_TOO_LARGE', details: { size: 17, limit: 16 } });
    await expect(h.apply(put('k', 'v'.repeat(65)))).rejects.toMatchObject({ code: 'MVCC_VALUE_TOO_LARGE' });
    await expect(h.apply(txn([], [op(put('a', '1')), op(put('b', '1')), op(put('c', '1')), op(put('d', '1'))]))).rejects.toMatchObject({
      code: 'MVCC_TOO_MANY_TXN_OPS',
      message: 'etcdserver: too many operations in txn request: 4 > 3',
    });
    const many = Array.from({ length: 3 }, (_, index) => op(put(`k${index}`, 'v'.repeat(60))));
    await expect(h.apply(txn([], many, many.slice(0, 3)))).rejects.toMatchObject({ code: 'MVCC_REQUEST_TOO_LARGE' });
    await expect(h.apply(put('', 'v'))).rejects.toMatchObject({ code: 'MVCC_EMPTY_KEY', message: 'etcdserver: key is not provided' });
    await expect(h.apply({ type: 'leaseGrant', leaseGrant: { ttl: 9_000_000_001 } })).rejects.toMatchObject({ code: 'MVCC_LEASE_TTL_TOO_LARGE' });
    expect(h.store.currentRevision).toBe(1);
  });
});

describe('request codec', () => {
  it('round-trips every request type', () => {
    const requests: MvccRequest[] = [
      { type: 'range', range: { key: bytes('a'), rangeEnd: bytes('b'), limit: 3, revision: 9, sortOrder: 2, sortTarget: 4, keysOnly: true, countOnly: false, minModRevision: 1, maxModRevision: 2, minCreateRevision: 3, maxCreateRevision: 2 ** 52 } },
      { type: 'put', put: { key: bytes('k'), value: new Uint8Array([0, 255]), lease: 2 ** 40, prevKv: true, ignoreValue: false, ignoreLease: false, contentType: 'text/plain', tags: { a: 'b', 'é': 'ü' } } },
      { type: 'deleteRange', deleteRange: { key: bytes('k'), rangeEnd: new Uint8Array([0]), prevKv: true } },
      txn([{ target: 'value', value: bytes('v'), result: CompareResult.Greater, key: bytes('k'), rangeEnd: bytes('z') }, { target: 'lease', lease: -1, result: CompareResult.Less, key: bytes('k') }], [op(txn([], [], [op(del('q'))]))], [op({ type: 'range', range: { key: bytes('r') } })]),
      { type: 'compaction', compaction: { revision: 42 } },
      { type: 'leaseGrant', leaseGrant: { ttl: 10, id: 7 } },
      { type: 'leaseRevoke', leaseRevoke: { id: 7 } },
      { type: 'leaseCheckpoint', leaseCheckpoint: { checkpoints: [{ id: 7, remainingTtl: 3 }] } },
      { type: 'alarm', alarm: { action: 1, memberId: 3, alarm: 1 } },
    ];
    for (const request of requests) {
      const decoded = decodeRequest(encodeRequest({ timestampMs: 123, request }));
      expect(decoded.timestampMs).toBe(123);
      // Decoding makes defaults explicit; encoding again must give the same bytes.
      expect(encodeRequest(decoded)).toEqual(encodeRequest({ timestampMs: 123, request }));
      expect(decoded.request.type).toBe(request.type);
    }
    const decodedPut = decodeRequest(encodeRequest({ timestampMs: 1, request: requests[1] as MvccRequest })).request;
    expect(decodedPut).toEqual({ type: 'put', put: { key: bytes('k'), value: Buffer.from([0, 255]), lease: 2 ** 40, prevKv: true, ignoreValue: false, ignoreLease: false, contentType: 'text/plain', tags: { a: 'b', 'é': 'ü' } } });
  });

  it('rejects malformed bytes with a named error', () => {
    const good = encodeRequest({ timestampMs: 5, request: put('key', 'value') });
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array([]), /truncated at offset 0 while reading format version/],
      [new Uint8Array([3, 0, 0]), /unknown format version 3/],
      // Format 2 carries the caller after the timestamp.
      [new Uint8Array([2, 0, 5]), /truncated at offset 3 while reading caller user/],
      [good.subarray(0, good.length - 3), /truncated/],
      [Buffer.concat([good, Buffer.from([0])]), /unexpected trailing bytes/],
      [new Uint8Array([1, 0, 99]), /unknown request type/],
    ];
    for (const [input, reason] of cases) {
      let caught: unknown;
      try {
        decodeRequest(input);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(MvccError);
      expect((caught as MvccError).code).toBe('MVCC_MALFORMED_REQUEST');
      expect((caught as MvccError).message).toMatch(reason);
    }
  });
});
