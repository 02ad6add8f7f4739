// A put or delete with conditions, for both APIs: one transaction whose compares are the
// conditions, whose success branch is the write and whose failure branch reads the key, so a
// refusal can say what the key looks like now. Without conditions the write is proposed as it is.
import type { Compare, DeleteRangeRequest, KeyValue, PutRequest, ResponseOp, TxnResponse } from '../../mvcc/index.js';
import type { KvNode } from '../../node/kv-node.js';
import { ApiError } from '../errors.js';
import { entityTagOf } from './entity-tags.js';
import { txnOf } from './node-responses.js';

export type KeyWrite = { readonly type: 'put'; readonly put: PutRequest } | { readonly type: 'deleteRange'; readonly deleteRange: DeleteRangeRequest };

export type KeyWriteResponse = Extract<ResponseOp, { type: 'put' | 'deleteRange' }>;

export type WriteOutcome =
  | { readonly succeeded: true; readonly response: KeyWriteResponse; readonly revision: number }
  | { readonly succeeded: false; readonly failure: ApiError };

export async function conditionalWrite(node: KvNode, write: KeyWrite, compares: readonly Compare[]): Promise<WriteOutcome> {
  if (compares.length === 0) {
    const response = keyWriteResponseOf(await node.write(write), write.type);
    const revision = response.type === 'put' ? response.put.header.revision : response.deleteRange.header.revision;
    return { succeeded: true, response, revision };
  }
  const key = write.type === 'put' ? write.put.key : write.deleteRange.key;
  const txn = txnOf(await node.write({ type: 'txn', txn: { compare: [...compares], success: [write], failure: [{ type: 'range', range: { key } }] } }));
  const response = txn.responses[0];
  if (!txn.succeeded || response === undefined) return { succeeded: false, failure: preconditionFailed(txn) };
  return { succeeded: true, response: keyWriteResponseOf(response, write.type), revision: txn.header.revision };
}

/** The error for a failed conditional write, from the key's current state read in the failure branch. */
export function preconditionFailed(txn: TxnResponse): ApiError {
  const failure = txn.responses[0];
  const current: KeyValue | undefined = failure?.type === 'range' ? failure.range.kvs[0] : undefined;
  const reason = current === undefined ? 'the key does not exist' : `the key exists with ETag ${entityTagOf(current.modRevision)} and version ${current.version}`;
  return new ApiError('API_PRECONDITION_FAILED', { reason });
}

/** The node answers a write with a response of its type; anything else is a bug in the node. */
function keyWriteResponseOf(response: { readonly type: string }, type: KeyWrite['type']): KeyWriteResponse {
  if (response.type !== type) throw new Error(`the node answered a ${type} with a ${response.type} response`);
  return response as KeyWriteResponse;
}
