// etcd's KV service (Range, Put, DeleteRange, Txn, Compact) over the caller's view of the node.
import { KVService, type KVServer } from '../../../generated/etcd/etcdserverpb/rpc.js';
import type * as pb from '../../../generated/etcd/etcdserverpb/rpc.js';
import { keyValueMessage, type MvccResponse } from '../../../mvcc/index.js';
import { type EtcdContext, safeNumber, unary } from './etcd-call.js';
import {
  deleteRangeRequestOf,
  putRequestOf,
  rangeRequestOf,
  rangeResponseMessage,
  txnRequestOf,
  txnResponseMessage,
} from './kv-conversion.js';

export function kvService(context: EtcdContext): KVServer {
  const headers = context.headers;
  return {
    range: unary(context, KVService.range.path, async (node, request: pb.RangeRequest) => {
      const response = await node.range(rangeRequestOf(request), { consistency: request.serializable ? 'serializable' : 'linearizable' });
      return rangeResponseMessage(response, headers.header(response.header.revision));
    }),
    put: unary(context, KVService.put.path, async (node, request: pb.PutRequest) => {
      const { put } = expect(await node.write({ type: 'put', put: putRequestOf(request) }), 'put');
      return { header: headers.header(put.header.revision), prevKv: put.prevKv === undefined ? undefined : keyValueMessage(put.prevKv) };
    }),
    deleteRange: unary(context, KVService.deleteRange.path, async (node, request: pb.DeleteRangeRequest) => {
      const { deleteRange } = expect(await node.write({ type: 'deleteRange', deleteRange: deleteRangeRequestOf(request) }), 'deleteRange');
      return { header: headers.header(deleteRange.header.revision), deleted: BigInt(deleteRange.deleted), prevKvs: deleteRange.prevKvs.map(keyValueMessage) };
    }),
    txn: unary(context, KVService.txn.path, async (node, request: pb.TxnRequest) => {
      const { txn } = expect(await node.write({ type: 'txn', txn: txnRequestOf(request) }), 'txn');
      return txnResponseMessage(txn, headers.header(txn.header.revision));
    }),
    // Applied on this member means logically compacted; `physical` also waits for the history to be removed.
    compact: unary(context, KVService.compact.path, async (node, request: pb.CompactionRequest) => {
      const { compaction } = expect(await node.write({ type: 'compaction', compaction: { revision: safeNumber(request.revision, 'revision') } }), 'compaction');
      if (request.physical) await node.waitForCompaction();
      return { header: headers.header(compaction.header.revision) };
    }),
  };
}

/** The node answers a request with a response of the same type; anything else is a bug. */
export function expect<Type extends MvccResponse['type']>(response: MvccResponse, type: Type): Extract<MvccResponse, { type: Type }> {
  if (response.type !== type) throw new Error(`a ${type} request was answered with a ${response.type} response`);
  return response as Extract<MvccResponse, { type: Type }>;
}
