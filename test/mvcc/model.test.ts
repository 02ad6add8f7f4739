// Model-based property test: random sequences of puts, delete-ranges, txns, compactions and
// lease operations run against the store and against a plain in-memory model of etcd's
// semantics; outcomes, revisions and every readable revision's contents must agree.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytes, openHarness, text } from './helpers.js';
import { CompareResult, type MvccRequest } from '../../src/mvcc/requests.js';

interface ModelKv {
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  readonly lease: number;
}

type Op =
  | { kind: 'put'; key: string; value: string; lease: number }
  | { kind: 'del'; key: string; end: string | undefined }
  | { kind: 'txn'; key: string; version: number; putKey: string; value: string; delKey: string }
  | { kind: 'compact'; back: number }
  | { kind: 'grant'; id: number }
  | { kind: 'revoke'; id: number };

class Model {
  revision = 1;
  compactRevision = 0;
  current = new Map<string, ModelKv>();
  readonly states = new Map<number, Map<string, ModelKv>>([[1, new Map()]]);
  readonly leases = new Set<number>();

  /** Returns the error code the store must report, or undefined for success. */
  apply(op: Op): string | undefined {
    const next = new Map(this.current);
    const writeRevision = this.revision + 1;
    let changed = false;
    const put = (key: string, value: string, lease: number): void => {
      const prev = next.get(key);
      next.set(key, { value, createRevision: prev?.createRevision ?? writeRevision, modRevision: writeRevision, version: (prev?.version ?? 0) + 1, lease });
      changed = true;
    };
    const remove = (keys: string[]): void => {
      for (const key of keys) if (next.delete(key)) changed = true;
    };
    switch (op.kind) {
      case 'put':
        if (op.lease !== 0 && !this.leases.has(op.lease)) return 'MVCC_LEASE_NOT_FOUND';
        put(op.key, op.value, op.lease);
        break;
      case 'del':
        remove([...next.keys()].filter((key) => (op.end === undefined ? key === op.key : key >= op.key && key < op.end)));
        break;
      case 'txn':
        if ((next.get(op.key)?.version ?? 0) === op.version) put(op.putKey, op.value, 0);
        else remove([op.delKey]);
        break;
      case 'compact': {
        const target = Math.max(0, this.revision - op.back);
        if (target <= this.compactRevision) return 'MVCC_COMPACTED';
        this.compactRevision = target;
        return undefined;
      }
      case 'grant':
        if (this.leases.has(op.id)) return 'MVCC_LEASE_EXISTS';
        this.leases.add(op.id);
        return undefined;
      case 'revoke':
        if (!this.leases.delete(op.id)) return 'MVCC_LEASE_NOT_FOUND';
        remove([...next.entries()].filter(([, kv]) => kv.lease === op.id).map(([key]) => key));
        break;
    }
    if (changed) {
      this.revision = writeRevision;
      this.current = next;
      this.states.set(writeRevision, next);
    }
    return undefined;
  }
}

function toRequest(op: Op): MvccRequest {
  switch (op.kind) {
    case 'put':
      return { type: 'put', put: { key: bytes(op.key), value: bytes(op.value), lease: op.lease } };
    case 'del':
      return { type: 'deleteRange', deleteRange: { key: bytes(op.key), ...(op.end === undefined ? {} : { rangeEnd: bytes(op.end) }) } };
    case 'txn':
      return {
        type: 'txn',
        txn: {
          compare: [{ target: 'version', version: op.version, result: CompareResult.Equal, key: bytes(op.key) }],
          success: [{ type: 'put', put: { key: bytes(op.putKey), value: bytes(op.value) } }],
          failure: [{ type: 'deleteRange', deleteRange: { key: bytes(op.delKey) } }],
        },
      };
    case 'compact':
      return { type: 'compaction', compaction: { revision: 0 } };
    case 'grant':
      return { type: 'leaseGrant', leaseGrant: { ttl: 60, id: op.id } };
    case 'revoke':
      return { type: 'leaseRevoke', leaseRevoke: { id: op.id } };
  }
}

const key = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), key, value: fc.string({ maxLength: 3 }), lease: fc.constantFrom(0, 0, 1, 2) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('del' as const), key, end: fc.option(fc.constantFrom('b', 'd', 'f'), { nil: undefined }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('txn' as const), key, version: fc.nat(2), putKey: key, value: fc.string({ maxLength: 3 }), delKey: key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), back: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('grant' as const), id: fc.constantFrom(1, 2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revoke' as const), id: fc.constantFrom(1, 2) }) },
);

function describeKvs(kvs: ReadonlyArray<{ key: Uint8Array; value: Uint8Array; createRevision: number; modRevision: number; version: number; lease: number }>): string[] {
  return kvs.map((kv) => `${text(kv.key)}=${text(kv.value)} c${kv.createRevision} m${kv.modRevision} v${kv.version} l${kv.lease}`);
}

describe('model-based property', () => {
  it('matches the reference model on random operation sequences, in random batches', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(opArbitrary, fc.boolean()), { minLength: 1, maxLength: 40 }), async (steps) => {
        const h = await openHarness({ compactionBatchEvents: 2 });
        try {
          const model = new Model();
          let batch: Array<{ op: Op; expected: string | undefined; request: MvccRequest }> = [];
          const flush = async (): Promise<void> => {
            const results = await h.applyAll(batch.map((item) => item.request));
            results.forEach((result, index) => {
              const expected = batch[index]?.expected;
              expect(result.outcome === 'error' ? result.error.code : undefined, JSON.stringify(batch[index]?.op)).toBe(expected);
            });
            batch = [];
          };
          for (const [op, endBatch] of steps) {
            // The compaction target depends on the model's revision at this point in the batch.
            const target = Math.max(0, model.revision - (op.kind === 'compact' ? op.back : 0));
            const expected = model.apply(op);
            const request = op.kind === 'compact' ? { type: 'compaction' as const, compaction: { revision: target } } : toRequest(op);
            batch.push({ op, expected, request });
            if (endBatch) await flush();
          }
          await flush();
          expect(h.store.currentRevision).toBe(model.revision);
          expect(h.store.compactRevision).toBe(model.compactRevision);
          for (let rev = Math.max(1, model.compactRevision); rev <= model.revision; rev++) {
            const state = model.states.get(rev) ?? new Map<string, ModelKv>();
            const expected = [...state.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, kv]) => ({ ...kv, key: bytes(name), value: bytes(kv.value) }));
            const actual = await h.store.range({ key: bytes('a'), rangeEnd: bytes('z'), revision: rev });
            expect(describeKvs(actual.kvs), `revision ${rev}`).toEqual(describeKvs(expected));
          }
          if (model.compactRevision > 1) {
            await expect(h.store.range({ key: bytes('a'), revision: model.compactRevision - 1 })).rejects.toMatchObject({ code: 'MVCC_COMPACTED' });
          }
        } finally {
          await h.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});
