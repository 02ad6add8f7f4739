// Translation between etcd's etcdserverpb/mvccpb messages and the MVCC state machine's types,
// which were shaped after them: field for field, with int64 as bigint on the wire.
import type * as pb from '../../../generated/etcd/etcdserverpb/rpc.js';
import type * as mvccpb from '../../../generated/etcd/mvccpb/kv.js';
import {
  type Compare,
  type CompareResult,
  type DeleteRangeRequest,
  type KeyValue,
  keyValueMessage,
  type PutRequest,
  type RangeRequest,
  type RequestOp,
  type ResponseOp,
  type SortOrder,
  type SortTarget,
  type TxnRequest,
  type TxnResponse,
  type WatchEvent,
} from '../../../mvcc/index.js';
import { safeNumber } from './etcd-call.js';

const EMPTY = new Uint8Array(0);

export function eventMessage(event: WatchEvent): mvccpb.Event {
  return {
    type: event.type === 'put' ? 0 : 1,
    kv: keyValueMessage(event.kv),
    prevKv: event.prevKv === undefined ? undefined : keyValueMessage(event.prevKv),
  };
}

export function rangeRequestOf(message: pb.RangeRequest): RangeRequest {
  return {
    key: message.key,
    rangeEnd: message.rangeEnd,
    limit: safeNumber(message.limit, 'limit'),
    revision: safeNumber(message.revision, 'revision'),
    sortOrder: message.sortOrder as SortOrder,
    sortTarget: message.sortTarget as SortTarget,
    keysOnly: message.keysOnly,
    countOnly: message.countOnly,
    minModRevision: safeNumber(message.minModRevision, 'min_mod_revision'),
    maxModRevision: safeNumber(message.maxModRevision, 'max_mod_revision'),
    minCreateRevision: safeNumber(message.minCreateRevision, 'min_create_revision'),
    maxCreateRevision: safeNumber(message.maxCreateRevision, 'max_create_revision'),
  };
}

export function putRequestOf(message: pb.PutRequest): PutRequest {
  return {
    key: message.key,
    value: message.value,
    lease: safeNumber(message.lease, 'lease'),
    prevKv: message.prevKv,
    ignoreValue: message.ignoreValue,
    ignoreLease: message.ignoreLease,
  };
}

export function deleteRangeRequestOf(message: pb.DeleteRangeRequest): DeleteRangeRequest {
  return { key: message.key, rangeEnd: message.rangeEnd, prevKv: message.prevKv };
}

function compareOf(message: pb.Compare): Compare {
  const common = { result: message.result as CompareResult, key: message.key, rangeEnd: message.rangeEnd };
  switch (message.target) {
    case 0:
      return { ...common, target: 'version', version: safeNumber(message.version ?? 0n, 'compare version') };
    case 1:
      return { ...common, target: 'create', createRevision: safeNumber(message.createRevision ?? 0n, 'compare create_revision') };
    case 2:
      return { ...common, target: 'mod', modRevision: safeNumber(message.modRevision ?? 0n, 'compare mod_revision') };
    case 3:
      return { ...common, target: 'value', value: message.value ?? EMPTY };
    default:
      return { ...common, target: 'lease', lease: safeNumber(message.lease ?? 0n, 'compare lease') };
  }
}

function requestOpOf(message: pb.RequestOp): RequestOp {
  if (message.requestPut !== undefined) return { type: 'put', put: putRequestOf(message.requestPut) };
  if (message.requestDeleteRange !== undefined) return { type: 'deleteRange', deleteRange: deleteRangeRequestOf(message.requestDeleteRange) };
  if (message.requestTxn !== undefined) return { type: 'txn', txn: txnRequestOf(message.requestTxn) };
  // An empty RequestOp decodes as a range over the empty key, which validation refuses as etcd does.
  return { type: 'range', range: rangeRequestOf(message.requestRange ?? emptyRange()) };
}

function emptyRange(): pb.RangeRequest {
  return {
    key: EMPTY, rangeEnd: EMPTY, limit: 0n, revision: 0n, sortOrder: 0, sortTarget: 0, serializable: false, keysOnly: false,
    countOnly: false, minModRevision: 0n, maxModRevision: 0n, minCreateRevision: 0n, maxCreateRevision: 0n,
  };
}

export function txnRequestOf(message: pb.TxnRequest): TxnRequest {
  return { compare: message.compare.map(compareOf), success: message.success.map(requestOpOf), failure: message.failure.map(requestOpOf) };
}

export function rangeResponseMessage(response: { kvs: KeyValue[]; more: boolean; count: number }, header: pb.ResponseHeader): pb.RangeResponse {
  return { header, kvs: response.kvs.map(keyValueMessage), more: response.more, count: BigInt(response.count) };
}

function responseOpMessage(op: ResponseOp, header: pb.ResponseHeader): pb.ResponseOp {
  switch (op.type) {
    case 'range':
      return { responseRange: rangeResponseMessage(op.range, header) };
    case 'put':
      return { responsePut: { header, prevKv: op.put.prevKv === undefined ? undefined : keyValueMessage(op.put.prevKv) } };
    case 'deleteRange':
      return { responseDeleteRange: { header, deleted: BigInt(op.deleteRange.deleted), prevKvs: op.deleteRange.prevKvs.map(keyValueMessage) } };
    case 'txn':
      return { responseTxn: txnResponseMessage(op.txn, header) };
  }
}

/** Nested responses share the outer header, as etcd's do. */
export function txnResponseMessage(response: TxnResponse, header: pb.ResponseHeader): pb.TxnResponse {
  return { header, succeeded: response.succeeded, responses: response.responses.map((op) => responseOpMessage(op, header)) };
}
