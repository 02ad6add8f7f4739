// Transactions as etcd applies them: the compares of the whole nested path are evaluated
// against the state before the txn, the chosen operations are checked (ignore flags need an
// existing key, leases must exist, range revisions must be readable) and only then executed,
// so a txn either runs completely under one revision or changes nothing.
import { MvccError, leaseNotFound } from './errors.js';
import type { Keyspace } from './key-codec.js';
import type { RevisionWriter } from './kv-writer.js';
import { collectLatest, executeRange, keyRange, resolveReadRevision } from './range.js';
import type { Compare, RequestOp, ResponseOp, TxnRequest, TxnResponse } from './requests.js';
import { CompareResult } from './requests.js';
import type { StorageReader } from './storage.js';
import type { KeyValue, ResponseHeader, Revision } from './types.js';

interface TxnPlan {
  readonly succeeded: boolean;
  readonly ops: ReadonlyArray<RequestOp>;
  /** Plans of the nested txns among `ops`, in order. */
  readonly nested: ReadonlyArray<TxnPlan>;
}

/** What a txn writes through; reads see its `revision`. A read-only txn gets one that never writes. */
type TxnWriter = Pick<RevisionWriter, 'beginRevision' | 'revision' | 'put' | 'deleteRange'>;

export interface TxnContext {
  readonly reader: StorageReader;
  readonly keyspace: Keyspace;
  readonly writer: TxnWriter;
  readonly compactRevision: number;
}

export interface ReadOnlyTxnContext {
  readonly reader: StorageReader;
  readonly keyspace: Keyspace;
  readonly revision: Revision;
  readonly compactRevision: number;
}

export async function executeTxn(context: TxnContext, txn: TxnRequest): Promise<TxnResponse> {
  const plan = await planTxn(context, txn);
  checkPlan(context, plan);
  // Put and delete responses share the header, which gets the final revision at the end.
  const header = { revision: context.writer.beginRevision };
  const response = await runPlan(context, plan, header);
  header.revision = context.writer.revision;
  return response;
}

/**
 * Evaluates a txn that only reads, at the one revision of `context` (a consistent snapshot),
 * exactly as apply would; refuses a txn with a put or a delete in any branch.
 */
export async function executeReadOnlyTxn(context: ReadOnlyTxnContext, txn: TxnRequest): Promise<TxnResponse> {
  if (!txnIsReadOnly(txn)) throw new MvccError('MVCC_INVALID_ARGUMENT', { reason: 'a read-only txn may hold only range operations, in every branch' });
  return executeTxn({ ...context, writer: readOnlyWriter(context.revision) }, txn);
}

/** True when no branch anywhere in the txn puts or deletes: it can be served as a read. */
export function txnIsReadOnly(txn: TxnRequest): boolean {
  return txn.success.every(opIsReadOnly) && txn.failure.every(opIsReadOnly);
}

function opIsReadOnly(op: RequestOp): boolean {
  return op.type === 'range' || (op.type === 'txn' && txnIsReadOnly(op.txn));
}

function readOnlyWriter(at: Revision): TxnWriter {
  const refuse = (): never => {
    throw new Error('a read-only txn tried to write; txnIsReadOnly should have refused it');
  };
  return { beginRevision: at, revision: at, put: refuse, deleteRange: refuse };
}

/** True when any branch anywhere in the txn writes a key: what NOSPACE refuses. */
export function txnHasPut(txn: TxnRequest): boolean {
  return [...txn.success, ...txn.failure].some((op) => op.type === 'put' || (op.type === 'txn' && txnHasPut(op.txn)));
}

async function planTxn(context: TxnContext, txn: TxnRequest): Promise<TxnPlan> {
  let succeeded = true;
  for (const compare of txn.compare) {
    if (!(await evaluateCompare(context, compare))) {
      succeeded = false;
      break;
    }
  }
  const ops = succeeded ? txn.success : txn.failure;
  const nested: TxnPlan[] = [];
  for (const op of ops) if (op.type === 'txn') nested.push(await planTxn(context, op.txn));
  return { succeeded, ops, nested };
}

async function evaluateCompare(context: TxnContext, compare: Compare): Promise<boolean> {
  const { kvs } = await collectLatest(context.reader, context.keyspace, keyRange(compare.key, compare.rangeEnd), 0);
  if (kvs.length === 0) {
    // As in etcd: a missing value cannot be told from an empty one, so value compares fail.
    if (compare.target === 'value') return false;
    return compareKeyValue(compare, undefined);
  }
  return kvs.every((kv) => compareKeyValue(compare, kv));
}

function compareKeyValue(compare: Compare, kv: KeyValue | undefined): boolean {
  let order: number;
  if (compare.target === 'value') order = Buffer.compare(kv?.value ?? Buffer.alloc(0), compare.value);
  else if (compare.target === 'version') order = Math.sign((kv?.version ?? 0) - compare.version);
  else if (compare.target === 'create') order = Math.sign((kv?.createRevision ?? 0) - compare.createRevision);
  else if (compare.target === 'mod') order = Math.sign((kv?.modRevision ?? 0) - compare.modRevision);
  else order = Math.sign((kv?.lease ?? 0) - compare.lease);
  switch (compare.result) {
    case CompareResult.Equal:
      return order === 0;
    case CompareResult.Greater:
      return order > 0;
    case CompareResult.Less:
      return order < 0;
    case CompareResult.NotEqual:
      return order !== 0;
  }
}

function checkPlan(context: TxnContext, plan: TxnPlan): void {
  let nested = 0;
  for (const op of plan.ops) {
    if (op.type === 'put') checkPut(context, op.put);
    else if (op.type === 'range') resolveReadRevision(op.range.revision, { revision: context.writer.beginRevision, compactRevision: context.compactRevision });
    else if (op.type === 'txn') checkPlan(context, plan.nested[nested++] as TxnPlan);
  }
}

/** etcd's checkRequestPut, against the state before the request. */
export function checkPut(context: Pick<TxnContext, 'reader' | 'keyspace'>, put: { key: Uint8Array; lease?: number; ignoreValue?: boolean; ignoreLease?: boolean }): void {
  if ((put.ignoreValue === true || put.ignoreLease === true) && context.reader.get(context.keyspace.currentKey(put.key)) === undefined) {
    throw new MvccError('MVCC_KEY_NOT_FOUND');
  }
  const lease = put.lease ?? 0;
  if (lease !== 0 && context.reader.get(context.keyspace.leaseKey(lease)) === undefined) throw leaseNotFound(lease);
}

async function runPlan(context: TxnContext, plan: TxnPlan, header: ResponseHeader): Promise<TxnResponse> {
  const responses: ResponseOp[] = [];
  let nested = 0;
  for (const op of plan.ops) {
    switch (op.type) {
      case 'range': {
        const view = { revision: context.writer.revision, compactRevision: context.compactRevision };
        responses.push({ type: 'range', range: await executeRange(context.reader, context.keyspace, op.range, view) });
        break;
      }
      case 'put': {
        const prevKv = context.writer.put(op.put);
        responses.push({ type: 'put', put: op.put.prevKv === true && prevKv !== undefined ? { header, prevKv } : { header } });
        break;
      }
      case 'deleteRange': {
        const deleted = await context.writer.deleteRange(keyRange(op.deleteRange.key, op.deleteRange.rangeEnd));
        responses.push({ type: 'deleteRange', deleteRange: { header, deleted: deleted.length, prevKvs: op.deleteRange.prevKv === true ? deleted : [] } });
        break;
      }
      case 'txn':
        responses.push({ type: 'txn', txn: await runPlan(context, plan.nested[nested++] as TxnPlan, header) });
        break;
    }
  }
  return { header, succeeded: plan.succeeded, responses };
}
