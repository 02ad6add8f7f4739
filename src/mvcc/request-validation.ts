// Checks that depend only on the request and the limits, so the proposer can run them before
// proposing and apply runs them again before writing anything. They mirror etcd's
// v3rpc checks (empty key, value/lease provided with ignore flags, too many txn operations,
// duplicate keys in a txn) plus the configurable size limits.
import { MvccError } from './errors.js';
import type { MvccLimits } from './limits.js';
import { keyRange, type KeyRange, rangeContains } from './range.js';
import { RESTORE_CHECKSUM_BYTES, RESTORE_CHUNK_BYTES_MAX } from './restore-staging.js';
import type { MvccRequest, PutRequest, RequestOp, TxnRequest } from './requests.js';

export function validateRequestSize(size: number, limits: MvccLimits): void {
  if (size > limits.requestBytesMax) throw new MvccError('MVCC_REQUEST_TOO_LARGE', { size, limit: limits.requestBytesMax });
}

export function validateRequest(request: MvccRequest, limits: MvccLimits): void {
  switch (request.type) {
    case 'range':
      return validateKey(request.range.key, request.range.rangeEnd, limits);
    case 'put':
      return validatePut(request.put, limits);
    case 'deleteRange':
      return validateKey(request.deleteRange.key, request.deleteRange.rangeEnd, limits);
    case 'txn':
      return validateTxn(request.txn, limits);
    case 'leaseGrant':
      if (request.leaseGrant.ttl > limits.leaseTtlSecondsMax) throw new MvccError('MVCC_LEASE_TTL_TOO_LARGE');
      return;
    case 'restoreBegin':
    case 'restoreChunk':
      return validateRestoreStep(request);
    case 'auth':
      // A permission's key and range end are keys: the same bounds keep the auth state's record small.
      if (request.auth.op === 'roleGrantPermission') validateKey(request.auth.permission.key, request.auth.permission.rangeEnd, limits);
      return;
    case 'compaction':
    case 'leaseRevoke':
    case 'leaseCheckpoint':
    case 'alarm':
    case 'restoreCommit':
      return;
  }
}

function validateRestoreStep(request: Extract<MvccRequest, { type: 'restoreBegin' | 'restoreChunk' }>): void {
  if (request.type === 'restoreBegin' && request.restoreBegin.checksum.length !== RESTORE_CHECKSUM_BYTES) {
    throw new MvccError('MVCC_INVALID_ARGUMENT', { reason: `a restore checksum is a SHA-256 of ${RESTORE_CHECKSUM_BYTES} bytes` });
  }
  if (request.type === 'restoreChunk' && request.restoreChunk.bytes.length > RESTORE_CHUNK_BYTES_MAX) {
    throw new MvccError('MVCC_INVALID_ARGUMENT', { reason: `a restore chunk holds at most ${RESTORE_CHUNK_BYTES_MAX} bytes` });
  }
}

function validateKey(key: Uint8Array, rangeEnd: Uint8Array | undefined, limits: MvccLimits): void {
  if (key.length === 0) throw new MvccError('MVCC_EMPTY_KEY');
  for (const bytes of [key, rangeEnd]) {
    if (bytes !== undefined && bytes.length > limits.keyBytesMax) throw new MvccError('MVCC_KEY_TOO_LARGE', { size: bytes.length, limit: limits.keyBytesMax });
  }
}

function validatePut(put: PutRequest, limits: MvccLimits): void {
  validateKey(put.key, undefined, limits);
  if (put.value.length > limits.valueBytesMax) throw new MvccError('MVCC_VALUE_TOO_LARGE', { size: put.value.length, limit: limits.valueBytesMax });
  if (put.ignoreValue === true && put.value.length !== 0) throw new MvccError('MVCC_VALUE_PROVIDED');
  if (put.ignoreLease === true && (put.lease ?? 0) !== 0) throw new MvccError('MVCC_LEASE_PROVIDED');
}

function validateTxn(txn: TxnRequest, limits: MvccLimits): void {
  validateTxnOperations(txn, limits);
  checkIntervals(txn.success);
  checkIntervals(txn.failure);
}

function validateTxnOperations(txn: TxnRequest, limits: MvccLimits): void {
  const max = limits.txnOperationsMax;
  const most = Math.max(txn.compare.length, txn.success.length, txn.failure.length);
  if (most > max) throw new MvccError('MVCC_TOO_MANY_TXN_OPS', { size: most, limit: max });
  for (const compare of txn.compare) validateKey(compare.key, compare.rangeEnd, limits);
  for (const op of [...txn.success, ...txn.failure]) validateOp(op, limits);
}

function validateOp(op: RequestOp, limits: MvccLimits): void {
  if (op.type === 'range') validateKey(op.range.key, op.range.rangeEnd, limits);
  else if (op.type === 'put') validatePut(op.put, limits);
  else if (op.type === 'deleteRange') validateKey(op.deleteRange.key, op.deleteRange.rangeEnd, limits);
  else validateTxnOperations(op.txn, limits);
}

interface Intervals {
  readonly puts: Set<string>;
  readonly deletes: KeyRange[];
}

const hits = (deletes: ReadonlyArray<KeyRange>, key: string): boolean => deletes.some((range) => rangeContains(range, Buffer.from(key, 'latin1')));

/**
 * etcd's checkIntervals: no key may be put twice, nor put and deleted, along any path through
 * a txn. Puts in the then and else branches of one nested txn may overlap, since only one runs.
 */
function checkIntervals(ops: ReadonlyArray<RequestOp>): Intervals {
  const deletes: KeyRange[] = [];
  for (const op of ops) if (op.type === 'deleteRange') deletes.push(keyRange(op.deleteRange.key, op.deleteRange.rangeEnd));
  const puts = new Set<string>();
  for (const op of ops) {
    if (op.type !== 'txn') continue;
    const then = checkIntervals(op.txn.success);
    const otherwise = checkIntervals(op.txn.failure);
    for (const key of then.puts) addPut(puts, deletes, key);
    for (const key of otherwise.puts) {
      if (puts.has(key) && !then.puts.has(key)) throw new MvccError('MVCC_DUPLICATE_KEY_IN_TXN');
      if (hits(deletes, key)) throw new MvccError('MVCC_DUPLICATE_KEY_IN_TXN');
      puts.add(key);
    }
    deletes.push(...then.deletes, ...otherwise.deletes);
  }
  for (const op of ops) if (op.type === 'put') addPut(puts, deletes, Buffer.from(op.put.key).toString('latin1'));
  return { puts, deletes };
}

function addPut(puts: Set<string>, deletes: ReadonlyArray<KeyRange>, key: string): void {
  if (puts.has(key) || hits(deletes, key)) throw new MvccError('MVCC_DUPLICATE_KEY_IN_TXN');
  puts.add(key);
}
