// The etcd form of a transaction between its native messages and the state machine's
// TxnRequest and TxnResponse, nested transactions included.
import { type Compare, CompareResult, type RequestOp, type ResponseOp, type TxnRequest } from '../../../mvcc/index.js';
import {
  type Compare as CompareMessage,
  CompareResult as CompareResultMessage,
  type RequestOp as RequestOpMessage,
  type ResponseOp as ResponseOpMessage,
} from '../../../generated/beavervault/v1/transaction.js';
import { ApiError } from '../../errors.js';
import { nonNegativeNumberOf, safeNumberOf } from '../wire-numbers.js';
import { keyValueMessage, putRequestOf } from './key-messages.js';

const RESULTS: ReadonlyMap<CompareResultMessage, CompareResult> = new Map([
  [CompareResultMessage.COMPARE_RESULT_EQUAL, CompareResult.Equal],
  [CompareResultMessage.COMPARE_RESULT_GREATER, CompareResult.Greater],
  [CompareResultMessage.COMPARE_RESULT_LESS, CompareResult.Less],
  [CompareResultMessage.COMPARE_RESULT_NOT_EQUAL, CompareResult.NotEqual],
]);

export interface TxnBranches {
  readonly compare: readonly CompareMessage[];
  readonly success: readonly RequestOpMessage[];
  readonly failure: readonly RequestOpMessage[];
}

export function txnRequestOf(branches: TxnBranches, field: string): TxnRequest {
  return {
    compare: branches.compare.map((compare, index) => compareOf(compare, `${field}.compare[${index}]`)),
    success: branches.success.map((op, index) => requestOpOf(op, `${field}.success[${index}]`)),
    failure: branches.failure.map((op, index) => requestOpOf(op, `${field}.failure[${index}]`)),
  };
}

function compareOf(message: CompareMessage, field: string): Compare {
  const result = RESULTS.get(message.result);
  if (result === undefined) throw new ApiError('API_INVALID_PARAMETER', { name: `${field}.result`, reason: `unknown value ${message.result}` });
  const base = { key: message.key, result, ...(message.rangeEnd.length === 0 ? {} : { rangeEnd: message.rangeEnd }) };
  if (message.version !== undefined) return { ...base, target: 'version', version: safeNumberOf(message.version, `${field}.version`) };
  if (message.createRevision !== undefined) return { ...base, target: 'create', createRevision: safeNumberOf(message.createRevision, `${field}.create_revision`) };
  if (message.modRevision !== undefined) return { ...base, target: 'mod', modRevision: safeNumberOf(message.modRevision, `${field}.mod_revision`) };
  if (message.value !== undefined) return { ...base, target: 'value', value: message.value };
  if (message.lease !== undefined) return { ...base, target: 'lease', lease: safeNumberOf(message.lease, `${field}.lease`) };
  throw new ApiError('API_INVALID_PARAMETER', { name: field, reason: 'set one of version, create_revision, mod_revision, value or lease' });
}

function requestOpOf(message: RequestOpMessage, field: string): RequestOp {
  if (message.range !== undefined) {
    const range = message.range;
    return {
      type: 'range',
      range: {
        key: range.key,
        ...(range.rangeEnd.length === 0 ? {} : { rangeEnd: range.rangeEnd }),
        limit: nonNegativeNumberOf(range.limit, `${field}.range.limit`),
        revision: nonNegativeNumberOf(range.revision, `${field}.range.revision`),
        keysOnly: range.keysOnly,
        countOnly: range.countOnly,
      },
    };
  }
  if (message.put !== undefined) {
    const put = message.put;
    return { type: 'put', put: putRequestOf(put, { prevKv: put.prevKv, ignoreValue: put.ignoreValue, ignoreLease: put.ignoreLease }) };
  }
  if (message.delete !== undefined) {
    const deletion = message.delete;
    return { type: 'deleteRange', deleteRange: { key: deletion.key, prevKv: deletion.prevKv, ...(deletion.rangeEnd.length === 0 ? {} : { rangeEnd: deletion.rangeEnd }) } };
  }
  if (message.txn !== undefined) return { type: 'txn', txn: txnRequestOf(message.txn, `${field}.txn`) };
  throw new ApiError('API_INVALID_PARAMETER', { name: field, reason: 'set one of range, put, delete or txn' });
}

/** `lease` is the lease a seeds-form put was granted for its ttl_seconds; 0 otherwise. */
export function responseOpMessage(response: ResponseOp, lease = 0): ResponseOpMessage {
  switch (response.type) {
    case 'range':
      return { range: { kvs: response.range.kvs.map(keyValueMessage), more: response.range.more, count: BigInt(response.range.count) } };
    case 'put':
      return { put: { lease: BigInt(lease), ...(response.put.prevKv === undefined ? {} : { prevKv: keyValueMessage(response.put.prevKv) }) } };
    case 'deleteRange':
      return { delete: { deleted: BigInt(response.deleteRange.deleted), prevKvs: response.deleteRange.prevKvs.map(keyValueMessage) } };
    case 'txn':
      return { txn: { succeeded: response.txn.succeeded, responses: response.txn.responses.map((nested) => responseOpMessage(nested)) } };
  }
}
