// The txn builder and the seeds' form become the wire messages the native service expects.
import { describe, expect, it } from 'vitest';
import { CompareResult, OperationType } from '../../src/generated/beavervault/v1/transaction.js';
import { compare, op, TxnBuilder, wireOperationOf } from '../../src/client/transaction-builder.js';

describe('transaction builder', () => {
  it('collects compares and both branches in the order given', async () => {
    let sent: unknown;
    const builder = new TxnBuilder(async (compares, success, failure) => {
      sent = { compares, success, failure };
      return { succeeded: true, results: [], revision: 1 };
    });
    await builder.if(compare.version('a', '=', 0), compare.modRevision('b', '<', 9)).then(op.put('a', '1', { lease: 7 }), op.delete('b')).else(op.get('a')).commit();
    expect(sent).toMatchObject({
      compares: [
        { key: Buffer.from('a'), result: CompareResult.COMPARE_RESULT_EQUAL, version: 0n },
        { key: Buffer.from('b'), result: CompareResult.COMPARE_RESULT_LESS, modRevision: 9n },
      ],
      success: [{ put: { key: Buffer.from('a'), value: Buffer.from('1'), lease: 7n } }, { delete: { key: Buffer.from('b') } }],
      failure: [{ range: { key: Buffer.from('a') } }],
    });
  });

  it("turns the seeds' if_version_match and ttl_seconds into the operation's conditions and TTL", () => {
    const wire = wireOperationOf({ type: 'put', key: 'user:123:profile', value: 'v', conditions: [{ ifVersionMatch: 5 }, { ifNotExists: true }], ttlSeconds: 60 });
    expect(wire).toMatchObject({ type: OperationType.OPERATION_TYPE_PUT, conditions: [{ ifVersionMatch: 5n }, { ifNotExists: true }], ttlSeconds: 60n });
  });
});
