// The batch calls both APIs offer. A batch put is one transaction: all of it applies under one
// revision or none of it does. A batch get reads every key at one revision.
import { type KeyValue, type MvccLimits, MvccError, type PutRequest, type RequestOp, type TxnResponse, validateRequest } from '../../mvcc/index.js';
import type { KvNode, ReadConsistency } from '../../node/kv-node.js';
import { txnOf } from './node-responses.js';
import { type TtlLeaseContext, withTtlLeases } from './ttl-leases.js';

/** Validates and writes `puts`; a `ttlSeconds` above 0 grants one lease for the items that name none. */
export async function putBatch(node: KvNode, context: TtlLeaseContext, puts: readonly PutRequest[], ttlSeconds: number): Promise<TxnResponse> {
  validateRequest({ type: 'txn', txn: { compare: [], success: puts.map(putOp), failure: [] } }, context.limits);
  return withTtlLeases(
    node,
    context,
    ttlSeconds > 0 ? [ttlSeconds] : [],
    async (leases) => {
      const lease = leases.get(ttlSeconds);
      const success = puts.map((put) => putOp(lease === undefined || put.lease !== undefined ? put : { ...put, lease }));
      return txnOf(await node.write({ type: 'txn', txn: { compare: [], success, failure: [] } }));
    },
    () => true,
  );
}

export interface KeysAtOneRevision {
  readonly revision: number;
  /** Aligned with the keys asked for; undefined where a key does not exist. */
  readonly kvs: readonly (KeyValue | undefined)[];
}

/**
 * Reads at most txnOperationsMax keys at `revision` (0: the current one). The first read fixes
 * the revision with the consistency asked for; the others read that same revision locally,
 * which this node has applied by then. Undefined for no keys.
 */
export async function getBatch(node: KvNode, limits: MvccLimits, keys: readonly Uint8Array[], options: { readonly consistency: ReadConsistency; readonly revision: number }): Promise<KeysAtOneRevision | undefined> {
  if (keys.length > limits.txnOperationsMax) throw new MvccError('MVCC_TOO_MANY_TXN_OPS');
  for (const key of keys) validateRequest({ type: 'range', range: { key } }, limits);
  const [first, ...rest] = keys;
  if (first === undefined) return undefined;
  const head = await node.range({ key: first, revision: options.revision }, { consistency: options.consistency });
  // A response header names the store's current revision, not the one an older read asked for.
  const revision = options.revision === 0 ? head.header.revision : options.revision;
  const tail = await Promise.all(rest.map((key) => node.range({ key, revision }, { consistency: 'serializable' })));
  return { revision, kvs: [head, ...tail].map((response) => response.kvs[0]) };
}

function putOp(put: PutRequest): RequestOp {
  return { type: 'put', put };
}
