// The JSON forms of a transaction. The etcd form `{ compare, success, failure }` maps one to
// one onto TxnRequest; the seeds' form `{ operations: [{ type, key, value, conditions,
// ttl_seconds }] }` becomes a txn whose compares are all the operations' conditions and whose
// success branch is the operations in order.
import { type Compare, CompareResult, type RangeRequest, type RequestOp, type ResponseOp, type TxnRequest } from '../../mvcc/index.js';
import { keyValueJson } from './key-view.js';
import { asArray, asObject, bytesField, invalidField, type JsonObject, optionalBoolean, optionalBytes, optionalInteger } from './request-parsing.js';

const RESULTS: Readonly<Record<string, CompareResult>> = {
  EQUAL: CompareResult.Equal,
  GREATER: CompareResult.Greater,
  LESS: CompareResult.Less,
  NOT_EQUAL: CompareResult.NotEqual,
};

export function etcdTxnOf(body: JsonObject, name = 'the body'): TxnRequest {
  return {
    compare: asArray(body.compare ?? [], `${name}.compare`).map((item, index) => compareOf(asObject(item, `${name}.compare[${index}]`), `${name}.compare[${index}]`)),
    success: asArray(body.success ?? [], `${name}.success`).map((item, index) => requestOpOf(item, `${name}.success[${index}]`)),
    failure: asArray(body.failure ?? [], `${name}.failure`).map((item, index) => requestOpOf(item, `${name}.failure[${index}]`)),
  };
}

function compareOf(item: JsonObject, name: string): Compare {
  const key = bytesField(item.key, `${name}.key`);
  const rangeEnd = optionalBytes(item.rangeEnd, `${name}.rangeEnd`);
  const result = RESULTS[String(item.result ?? 'EQUAL').toUpperCase()];
  if (result === undefined) throw invalidField(`${name}.result`, 'must be EQUAL, GREATER, LESS or NOT_EQUAL');
  const base = { key, result, ...(rangeEnd === undefined ? {} : { rangeEnd }) };
  const operand = (field: string): number => optionalInteger(item[field], `${name}.${field}`, 0) ?? 0;
  switch (String(item.target ?? '').toUpperCase()) {
    case 'VERSION':
      return { ...base, target: 'version', version: operand('version') };
    case 'CREATE':
      return { ...base, target: 'create', createRevision: operand('createRevision') };
    case 'MOD':
      return { ...base, target: 'mod', modRevision: operand('modRevision') };
    case 'VALUE':
      return { ...base, target: 'value', value: bytesField(item.value, `${name}.value`) };
    case 'LEASE':
      return { ...base, target: 'lease', lease: operand('lease') };
    default:
      throw invalidField(`${name}.target`, 'must be VERSION, CREATE, MOD, VALUE or LEASE');
  }
}

function requestOpOf(value: unknown, name: string): RequestOp {
  const item = asObject(value, name);
  if (item.range !== undefined) return { type: 'range', range: rangeOf(asObject(item.range, `${name}.range`), `${name}.range`) };
  if (item.put !== undefined) {
    const put = asObject(item.put, `${name}.put`);
    const lease = optionalInteger(put.lease, `${name}.put.lease`, 0);
    return {
      type: 'put',
      put: {
        key: bytesField(put.key, `${name}.put.key`),
        value: optionalBytes(put.value, `${name}.put.value`) ?? new Uint8Array(0),
        prevKv: optionalBoolean(put.prevKv, `${name}.put.prevKv`) ?? false,
        ignoreValue: optionalBoolean(put.ignoreValue, `${name}.put.ignoreValue`) ?? false,
        ignoreLease: optionalBoolean(put.ignoreLease, `${name}.put.ignoreLease`) ?? false,
        ...(lease === undefined ? {} : { lease }),
      },
    };
  }
  if (item.deleteRange !== undefined) {
    const deletion = asObject(item.deleteRange, `${name}.deleteRange`);
    const rangeEnd = optionalBytes(deletion.rangeEnd, `${name}.deleteRange.rangeEnd`);
    const prevKv = optionalBoolean(deletion.prevKv, `${name}.deleteRange.prevKv`) ?? false;
    return { type: 'deleteRange', deleteRange: { key: bytesField(deletion.key, `${name}.deleteRange.key`), prevKv, ...(rangeEnd === undefined ? {} : { rangeEnd }) } };
  }
  if (item.txn !== undefined) return { type: 'txn', txn: etcdTxnOf(asObject(item.txn, `${name}.txn`), `${name}.txn`) };
  throw invalidField(name, 'must hold one of range, put, deleteRange or txn');
}

function rangeOf(range: JsonObject, name: string): RangeRequest {
  const rangeEnd = optionalBytes(range.rangeEnd, `${name}.rangeEnd`);
  return {
    key: bytesField(range.key, `${name}.key`),
    limit: optionalInteger(range.limit, `${name}.limit`, 0) ?? 0,
    revision: optionalInteger(range.revision, `${name}.revision`, 0) ?? 0,
    keysOnly: optionalBoolean(range.keysOnly, `${name}.keysOnly`) ?? false,
    countOnly: optionalBoolean(range.countOnly, `${name}.countOnly`) ?? false,
    ...(rangeEnd === undefined ? {} : { rangeEnd }),
  };
}

/** A seeds-form transaction: the txn to run and the TTL (seconds) its puts need a lease for. */
export interface SeedTransaction {
  readonly txn: TxnRequest;
  /** The puts that asked for `ttl_seconds`, by index in `txn.success`, with their TTL. */
  readonly ttlPuts: ReadonlyMap<number, number>;
}

export function seedTxnOf(body: JsonObject): SeedTransaction {
  const compare: Compare[] = [];
  const success: RequestOp[] = [];
  const ttlPuts = new Map<number, number>();
  asArray(body.operations, 'operations').forEach((value, index) => {
    const name = `operations[${index}]`;
    const operation = asObject(value, name);
    const key = bytesField(operation.key, `${name}.key`);
    for (const [conditionIndex, condition] of asArray(operation.conditions ?? [], `${name}.conditions`).entries()) {
      compare.push(conditionOf(key, asObject(condition, `${name}.conditions[${conditionIndex}]`), `${name}.conditions[${conditionIndex}]`));
    }
    const ttl = optionalInteger(operation.ttl_seconds, `${name}.ttl_seconds`, 1);
    if (ttl !== undefined) ttlPuts.set(success.length, ttl);
    success.push(seedOperationOf(operation, key, name));
  });
  return { txn: { compare, success, failure: [] }, ttlPuts };
}

function seedOperationOf(operation: JsonObject, key: Uint8Array, name: string): RequestOp {
  switch (String(operation.type ?? '').toUpperCase()) {
    case 'PUT':
      return { type: 'put', put: { key, value: bytesField(operation.value, `${name}.value`) } };
    case 'GET':
      return { type: 'range', range: { key } };
    case 'DELETE':
      return { type: 'deleteRange', deleteRange: { key } };
    default:
      throw invalidField(`${name}.type`, 'must be PUT, GET or DELETE');
  }
}

/** `{ if_version_match: N }` (0 means "absent"), `{ if_mod_revision_match: N }` or `{ if_exists: bool }`. */
function conditionOf(key: Uint8Array, condition: JsonObject, name: string): Compare {
  const version = optionalInteger(condition.if_version_match, `${name}.if_version_match`, 0);
  if (version !== undefined) return { key, target: 'version', result: CompareResult.Equal, version };
  const modRevision = optionalInteger(condition.if_mod_revision_match, `${name}.if_mod_revision_match`, 0);
  if (modRevision !== undefined) return { key, target: 'mod', result: CompareResult.Equal, modRevision };
  const exists = optionalBoolean(condition.if_exists, `${name}.if_exists`);
  if (exists !== undefined) return { key, target: 'version', result: exists ? CompareResult.Greater : CompareResult.Equal, version: 0 };
  throw invalidField(name, 'must hold if_version_match, if_mod_revision_match or if_exists');
}

/** The JSON of one response op, shaped like etcd's (range kvs as list items). */
export function responseOpJson(response: ResponseOp): JsonObject {
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
