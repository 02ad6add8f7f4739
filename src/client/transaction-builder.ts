// Transactions in etcd's shape, built fluently:
//   client.txn().if(compare.version('a', '=', 2)).then(op.put('a', 'x')).else(op.get('a')).commit()
// and the seeds' shape, a list of operations each with its own conditions (if_version_match).
import type { Compare as WireCompare, Condition as WireCondition, Operation as WireOperation, RequestOp, ResponseOp } from '../generated/beavervault/v1/transaction.js';
import { CompareResult, OperationType } from '../generated/beavervault/v1/transaction.js';
import { type Bytes, bytesOf, type KeyValue, keyValueOf } from './results.js';

export type CompareOperator = '=' | '!=' | '>' | '<';

const RESULT_OF_OPERATOR: Readonly<Record<CompareOperator, CompareResult>> = {
  '=': CompareResult.COMPARE_RESULT_EQUAL,
  '!=': CompareResult.COMPARE_RESULT_NOT_EQUAL,
  '>': CompareResult.COMPARE_RESULT_GREATER,
  '<': CompareResult.COMPARE_RESULT_LESS,
};

/** One compare of a txn's guard; build with `compare.*`. */
export interface Compare {
  readonly wire: WireCompare;
}

type CompareTarget = Pick<WireCompare, 'version' | 'createRevision' | 'modRevision' | 'value' | 'lease'>;

function compareOf(key: Bytes, operator: CompareOperator, target: CompareTarget): Compare {
  return { wire: { key: bytesOf(key), rangeEnd: NO_BYTES, result: RESULT_OF_OPERATOR[operator], ...target } };
}

const NO_BYTES = Buffer.alloc(0);

export const compare = {
  /** Version 0 means the key does not exist. */
  version: (key: Bytes, operator: CompareOperator, version: number): Compare => compareOf(key, operator, { version: BigInt(version) }),
  createRevision: (key: Bytes, operator: CompareOperator, revision: number): Compare => compareOf(key, operator, { createRevision: BigInt(revision) }),
  modRevision: (key: Bytes, operator: CompareOperator, revision: number): Compare => compareOf(key, operator, { modRevision: BigInt(revision) }),
  value: (key: Bytes, operator: CompareOperator, value: Bytes): Compare => compareOf(key, operator, { value: bytesOf(value) }),
  lease: (key: Bytes, operator: CompareOperator, lease: bigint | number): Compare => compareOf(key, operator, { lease: BigInt(lease) }),
};

/** One operation of a txn branch; build with `op.*`. */
export interface TxnOp {
  readonly wire: RequestOp;
}

export const op = {
  put: (key: Bytes, value: Bytes, options: { lease?: bigint | number; prevKv?: boolean } = {}): TxnOp => ({
    wire: { put: { key: bytesOf(key), value: bytesOf(value), lease: BigInt(options.lease ?? 0), prevKv: options.prevKv ?? false, ignoreValue: false, ignoreLease: false, contentType: '', tags: {} } },
  }),
  get: (key: Bytes): TxnOp => ({ wire: { range: { key: bytesOf(key), rangeEnd: NO_BYTES, limit: 0n, revision: 0n, keysOnly: false, countOnly: false } } }),
  delete: (key: Bytes, options: { prevKv?: boolean } = {}): TxnOp => ({ wire: { delete: { key: bytesOf(key), rangeEnd: NO_BYTES, prevKv: options.prevKv ?? false } } }),
};

/** What one operation of the branch that ran produced. */
export type TxnOpResult =
  | { readonly type: 'get'; readonly kvs: readonly KeyValue[]; readonly count: number }
  | { readonly type: 'put'; readonly prevKv?: KeyValue; readonly lease: bigint }
  | { readonly type: 'delete'; readonly deleted: number; readonly prevKvs: readonly KeyValue[] }
  | { readonly type: 'txn'; readonly succeeded: boolean; readonly results: readonly TxnOpResult[] };

export function txnOpResultOf(wire: ResponseOp): TxnOpResult {
  if (wire.range !== undefined) return { type: 'get', kvs: wire.range.kvs.map(keyValueOf), count: Number(wire.range.count) };
  if (wire.put !== undefined) return { type: 'put', lease: wire.put.lease, ...(wire.put.prevKv === undefined ? {} : { prevKv: keyValueOf(wire.put.prevKv) }) };
  if (wire.delete !== undefined) return { type: 'delete', deleted: Number(wire.delete.deleted), prevKvs: wire.delete.prevKvs.map(keyValueOf) };
  if (wire.txn !== undefined) return { type: 'txn', succeeded: wire.txn.succeeded, results: wire.txn.responses.map(txnOpResultOf) };
  throw new TypeError('the server answered a txn operation with no result');
}

/** A condition on the key of the seeds-form operation it belongs to. */
export type Condition =
  | { readonly ifVersionMatch: number }
  | { readonly ifModRevisionMatch: number }
  | { readonly ifValueMatch: Bytes }
  | { readonly ifExists: true }
  | { readonly ifNotExists: true };

export interface Operation {
  readonly type: 'put' | 'delete' | 'get';
  readonly key: Bytes;
  /** put only. */
  readonly value?: Bytes;
  readonly conditions?: readonly Condition[];
  /** put only: the key gets a lease of this many seconds. */
  readonly ttlSeconds?: number;
}

export function wireConditionOf(condition: Condition): WireCondition {
  if ('ifVersionMatch' in condition) return { ifVersionMatch: BigInt(condition.ifVersionMatch) };
  if ('ifModRevisionMatch' in condition) return { ifModRevisionMatch: BigInt(condition.ifModRevisionMatch) };
  if ('ifValueMatch' in condition) return { ifValueMatch: bytesOf(condition.ifValueMatch) };
  if ('ifExists' in condition) return { ifExists: true };
  return { ifNotExists: true };
}

const OPERATION_TYPES = { put: OperationType.OPERATION_TYPE_PUT, delete: OperationType.OPERATION_TYPE_DELETE, get: OperationType.OPERATION_TYPE_GET } as const;

export function wireOperationOf(operation: Operation): WireOperation {
  return {
    type: OPERATION_TYPES[operation.type],
    key: bytesOf(operation.key),
    value: bytesOf(operation.value ?? ''),
    conditions: (operation.conditions ?? []).map(wireConditionOf),
    ttlSeconds: BigInt(operation.ttlSeconds ?? 0),
    contentType: '',
    tags: {},
  };
}

export interface TxnResult {
  readonly succeeded: boolean;
  /** One per operation of the branch that ran. */
  readonly results: readonly TxnOpResult[];
  readonly revision: number;
}

/** Collects compare/then/else and hands the request to `commit`, which the client supplies. */
export class TxnBuilder {
  private readonly compares: WireCompare[] = [];
  private readonly successOps: RequestOp[] = [];
  private readonly failureOps: RequestOp[] = [];

  constructor(private readonly send: (compare: WireCompare[], success: RequestOp[], failure: RequestOp[]) => Promise<TxnResult>) {}

  if(...compares: Compare[]): this {
    this.compares.push(...compares.map((item) => item.wire));
    return this;
  }

  then(...ops: TxnOp[]): this {
    this.successOps.push(...ops.map((item) => item.wire));
    return this;
  }

  else(...ops: TxnOp[]): this {
    this.failureOps.push(...ops.map((item) => item.wire));
    return this;
  }

  commit(): Promise<TxnResult> {
    return this.send(this.compares, this.successOps, this.failureOps);
  }
}
