// The JSON forms of a transaction, as transaction-schemas.ts accepts them, turned into a
// TxnRequest. The etcd form `{ compare, success, failure }` maps one to one; the seeds' form
// `{ operations: [{ type, key, value, conditions, ttl_seconds }] }` becomes a txn whose compares
// are all the operations' conditions and whose success branch is the operations in order.
import { type Compare, CompareResult, type RequestOp, type ResponseOp, type TxnRequest } from '../../mvcc/index.js';
import { seedConditionCompare } from '../shared/seed-conditions.js';
import { bytesOf } from './json-schemas.js';
import { keyValueJson } from './key-view.js';
import type { CompareJson, EtcdTxnJson, RequestOpJson, SeedOperationJson } from './transaction-schemas.js';

const RESULTS: Readonly<Record<NonNullable<CompareJson['result']>, CompareResult>> = {
  EQUAL: CompareResult.Equal,
  GREATER: CompareResult.Greater,
  LESS: CompareResult.Less,
  NOT_EQUAL: CompareResult.NotEqual,
};

export function etcdTxnOf(body: EtcdTxnJson): TxnRequest {
  return { compare: (body.compare ?? []).map(compareOf), success: (body.success ?? []).map(requestOpOf), failure: (body.failure ?? []).map(requestOpOf) };
}

function compareOf(item: CompareJson): Compare {
  const base = { key: bytesOf(item.key), result: RESULTS[item.result ?? 'EQUAL'], ...(item.rangeEnd === undefined ? {} : { rangeEnd: bytesOf(item.rangeEnd) }) };
  switch (item.target) {
    case 'VERSION':
      return { ...base, target: 'version', version: item.version ?? 0 };
    case 'CREATE':
      return { ...base, target: 'create', createRevision: item.createRevision ?? 0 };
    case 'MOD':
      return { ...base, target: 'mod', modRevision: item.modRevision ?? 0 };
    case 'VALUE':
      return { ...base, target: 'value', value: bytesOf(item.value) };
    case 'LEASE':
      return { ...base, target: 'lease', lease: item.lease ?? 0 };
  }
}

/** The schema guarantees exactly one of range, put, deleteRange or txn. */
function requestOpOf(item: RequestOpJson): RequestOp {
  const { range, put, deleteRange, txn } = item;
  if (range !== undefined) {
    return {
      type: 'range',
      range: {
        key: bytesOf(range.key),
        limit: range.limit ?? 0,
        revision: range.revision ?? 0,
        keysOnly: range.keysOnly ?? false,
        countOnly: range.countOnly ?? false,
        ...(range.rangeEnd === undefined ? {} : { rangeEnd: bytesOf(range.rangeEnd) }),
      },
    };
  }
  if (put !== undefined) {
    return {
      type: 'put',
      put: {
        key: bytesOf(put.key),
        value: put.value === undefined ? new Uint8Array(0) : bytesOf(put.value),
        prevKv: put.prevKv ?? false,
        ignoreValue: put.ignoreValue ?? false,
        ignoreLease: put.ignoreLease ?? false,
        ...(put.lease === undefined ? {} : { lease: put.lease }),
      },
    };
  }
  if (deleteRange !== undefined) {
    const rangeEnd = deleteRange.rangeEnd === undefined ? {} : { rangeEnd: bytesOf(deleteRange.rangeEnd) };
    return { type: 'deleteRange', deleteRange: { key: bytesOf(deleteRange.key), prevKv: deleteRange.prevKv ?? false, ...rangeEnd } };
  }
  return { type: 'txn', txn: etcdTxnOf(txn ?? {}) };
}

/** A seeds-form transaction: the txn to run and the TTL (seconds) its puts need a lease for. */
export interface SeedTransaction {
  readonly txn: TxnRequest;
  /** The puts that asked for `ttl_seconds`, by index in `txn.success`, with their TTL. */
  readonly ttlPuts: ReadonlyMap<number, number>;
}

export function seedTxnOf(operations: readonly SeedOperationJson[]): SeedTransaction {
  const compare: Compare[] = [];
  const success: RequestOp[] = [];
  const ttlPuts = new Map<number, number>();
  for (const [index, operation] of operations.entries()) {
    const key = bytesOf(operation.key);
    for (const [conditionIndex, condition] of (operation.conditions ?? []).entries()) compare.push(conditionOf(key, condition, `operations[${index}].conditions[${conditionIndex}]`));
    if (operation.type === 'PUT' && operation.ttl_seconds !== undefined) ttlPuts.set(success.length, operation.ttl_seconds);
    success.push(seedOperationOf(operation, key));
  }
  return { txn: { compare, success, failure: [] }, ttlPuts };
}

function seedOperationOf(operation: SeedOperationJson, key: Uint8Array): RequestOp {
  switch (operation.type) {
    case 'PUT':
      return { type: 'put', put: { key, value: bytesOf(operation.value) } };
    case 'GET':
      return { type: 'range', range: { key } };
    case 'DELETE':
      return { type: 'deleteRange', deleteRange: { key } };
  }
}

type SeedConditionJson = NonNullable<SeedOperationJson['conditions']>[number];

function conditionOf(key: Uint8Array, condition: SeedConditionJson, field: string): Compare {
  const ifValueMatch = condition.if_value_match === undefined ? undefined : bytesOf(condition.if_value_match);
  return seedConditionCompare(
    key,
    {
      ifVersionMatch: condition.if_version_match,
      ifModRevisionMatch: condition.if_mod_revision_match,
      ifValueMatch,
      ifExists: condition.if_exists,
      ifNotExists: condition.if_not_exists,
    },
    field,
  );
}

/** The JSON of one response op, shaped like etcd's (range kvs as list items). */
export function responseOpJson(response: ResponseOp): Readonly<Record<string, unknown>> {
  switch (response.type) {
    case 'range':
      return { range: { kvs: response.range.kvs.map((kv) => keyValueJson(kv)), more: response.range.more, count: response.range.count } };
    case 'put':
      return { put: response.put.prevKv === undefined ? {} : { prevKv: keyValueJson(response.put.prevKv) } };
    case 'deleteRange':
      return { deleteRange: { deleted: response.deleteRange.deleted, prevKvs: response.deleteRange.prevKvs.map((kv) => keyValueJson(kv)) } };
    case 'txn':
      return { txn: { succeeded: response.txn.succeeded, responses: response.txn.responses.map(responseOpJson) } };
  }
}
