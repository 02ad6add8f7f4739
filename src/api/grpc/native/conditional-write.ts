// A put or delete with conditions: one transaction whose compares are the conditions, whose
// success branch is the write and whose failure branch reads the key, so a refusal can say
// what the key looks like now. Without conditions the write is proposed as it is.
import type { Compare, DeleteRangeRequest, PutRequest, ResponseOp } from '../../../mvcc/index.js';
import type { KvNode } from '../../../node/kv-node.js';
import type { ApiError } from '../../errors.js';
import { preconditionFailed } from '../../http/key-preconditions.js';
import { txnOf } from '../../http/node-responses.js';

export type KeyWrite = { readonly type: 'put'; readonly put: PutRequest } | { readonly type: 'deleteRange'; readonly deleteRange: DeleteRangeRequest };

export type WriteOutcome =
  | { readonly succeeded: true; readonly response: ResponseOp; readonly revision: number }
  | { readonly succeeded: false; readonly failure: ApiError };

export async function conditionalWrite(node: KvNode, write: KeyWrite, compares: readonly Compare[]): Promise<WriteOutcome> {
  if (compares.length === 0) {
    const response = await node.write(write);
    if (response.type !== 'put' && response.type !== 'deleteRange') throw new Error(`the node answered a ${write.type} with a ${response.type} response`);
    const revision = response.type === 'put' ? response.put.header.revision : response.deleteRange.header.revision;
    return { succeeded: true, response, revision };
  }
  const key = write.type === 'put' ? write.put.key : write.deleteRange.key;
  const txn = txnOf(await node.write({ type: 'txn', txn: { compare: compares, success: [write], failure: [{ type: 'range', range: { key } }] } }));
  const response = txn.responses[0];
  if (!txn.succeeded || response === undefined) return { succeeded: false, failure: preconditionFailed(txn) };
  return { succeeded: true, response, revision: txn.header.revision };
}
