// Which permissions a request needs, and the check itself, as etcd 3.4's authApplierV3 and
// v3_server do it: a range or watch reads its range; a put or delete writes its key or range; a
// txn needs read on every compare and on every range of both branches and write on every put and
// delete of both branches (whichever branch runs); revoking a lease writes every attached key;
// compaction and alarm changes need the root role. The same functions serve the check when a call
// arrives and the check again at apply, so a permission revoked in between is honoured.
import { MvccError } from '../mvcc/errors.js';
import { AlarmAction, type MvccRequest, type RequestOp, type TxnRequest } from '../mvcc/requests.js';
import { checkAdmin } from './auth-apply.js';
import { type AuthState, type Caller, isPermitted } from './auth-state.js';

interface KeyAccess {
  readonly wanted: 'read' | 'write';
  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array | undefined;
}

/**
 * Whether the caller's view of the auth state is current: etcd's isOpPermitted refuses a
 * request that carries no user, or an auth revision older than the store's (a client then
 * authenticates again). False when authentication is off and nothing needs checking.
 */
function mustCheck(state: AuthState, caller: Caller | undefined): caller is Caller {
  if (!state.enabled || caller === undefined) return false;
  if (caller.user === '') throw new MvccError('AUTH_USER_EMPTY');
  if (caller.authRevision < state.revision) throw new MvccError('AUTH_OLD_REVISION');
  return true;
}

function checkAccesses(state: AuthState, caller: Caller, accesses: Iterable<KeyAccess>): void {
  for (const access of accesses) {
    if (!isPermitted(state, caller.user, access.wanted, access.key, access.rangeEnd)) throw new MvccError('AUTH_PERMISSION_DENIED');
  }
}

export function checkRangePermitted(state: AuthState, caller: Caller | undefined, wanted: 'read' | 'write', key: Uint8Array, rangeEnd: Uint8Array | undefined): void {
  if (mustCheck(state, caller)) checkAccesses(state, caller, [{ wanted, key, rangeEnd }]);
}

/** Lease revocation deletes every attached key, so it needs write on each (etcd's checkLeasePuts). */
export function checkKeysWritable(state: AuthState, caller: Caller | undefined, keys: Iterable<Uint8Array>): void {
  if (!mustCheck(state, caller)) return;
  for (const key of keys) checkAccesses(state, caller, [{ wanted: 'write', key, rangeEnd: undefined }]);
}

/** The admin check with the same revision rule as the key checks. */
export function checkAdminPermitted(state: AuthState, caller: Caller | undefined): void {
  if (mustCheck(state, caller)) checkAdmin(state, caller);
}

/**
 * The check for a request entering the state machine. Lease revocation is checked where its
 * attached keys are read (checkKeysWritable); auth requests by applyAuthRequest.
 */
export function checkRequestPermitted(state: AuthState, caller: Caller | undefined, request: MvccRequest): void {
  switch (request.type) {
    case 'range':
      return checkRangePermitted(state, caller, 'read', request.range.key, request.range.rangeEnd);
    case 'put':
      return checkRangePermitted(state, caller, 'write', request.put.key, undefined);
    case 'deleteRange':
      return checkRangePermitted(state, caller, 'write', request.deleteRange.key, request.deleteRange.rangeEnd);
    case 'txn':
      if (mustCheck(state, caller)) checkAccesses(state, caller, txnAccesses(request.txn));
      return;
    case 'compaction':
      return checkAdminPermitted(state, caller);
    case 'alarm':
      // Listing alarms needs only a valid user (etcd's requireAuthInfo); changing them, root.
      if (request.alarm.action === AlarmAction.Get) mustCheck(state, caller);
      else checkAdminPermitted(state, caller);
      return;
    default:
      return;
  }
}

function* txnAccesses(txn: TxnRequest): Generator<KeyAccess> {
  for (const compare of txn.compare) yield { wanted: 'read', key: compare.key, rangeEnd: compare.rangeEnd };
  for (const op of [...txn.success, ...txn.failure]) yield* opAccesses(op);
}

function* opAccesses(op: RequestOp): Generator<KeyAccess> {
  if (op.type === 'range') yield { wanted: 'read', key: op.range.key, rangeEnd: op.range.rangeEnd };
  else if (op.type === 'put') yield { wanted: 'write', key: op.put.key, rangeEnd: undefined };
  else if (op.type === 'deleteRange') yield { wanted: 'write', key: op.deleteRange.key, rangeEnd: op.deleteRange.rangeEnd };
  else yield* txnAccesses(op.txn);
}
