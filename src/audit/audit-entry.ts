// One line of the audit log and how a node call becomes one: what was asked (the operation and
// the key, range, lease or member it named), by whom, from where, and how it ended. Pure: no
// I/O, no clock. A value, a password or a token never enters a line: a write request is
// described by its type (and its `op`, for a type that has one) and, for the types known here,
// the keys it names; a type added later (the auth requests, say) is recorded by its type and op
// alone until someone decides what of it is safe to keep.
import { isUtf8 } from 'node:buffer';
import type { ClientApi } from '../access/node-access.js';
import type { MvccResponse, RangeRequest, RequestOp } from '../mvcc/index.js';
import type { WriteRequest } from '../node/kv-node.js';

/** Keys listed for one transaction; the rest are counted in `keysOmitted`, so a line stays small. */
export const AUDIT_TXN_KEYS_MAX = 16;

/** A key as text when it is valid UTF-8, else as base64, so the line is valid JSON either way. */
export type KeyText = string | { readonly base64: string };

export interface KeyRange {
  readonly key: KeyText;
  readonly rangeEnd?: KeyText;
}

/** What a call named, besides its operation; never a value. */
export interface AuditTarget {
  readonly key?: KeyText;
  readonly rangeEnd?: KeyText;
  /** The keys and ranges of a transaction's operations, nested ones included, at most AUDIT_TXN_KEYS_MAX. */
  readonly keys?: readonly KeyRange[];
  readonly keysOmitted?: number;
  readonly lease?: number;
  readonly member?: string;
  readonly compactRevision?: number;
}

export interface AuditEntry extends AuditTarget {
  /** ISO 8601, UTC. */
  readonly time: string;
  /** Who the credentials proved the caller to be; null when anonymous or authentication is off. */
  readonly user: string | null;
  /** The client's host:port. */
  readonly source: string;
  readonly api: ClientApi;
  /** The API's own name for the call: `/etcdserverpb.KV/Put`, `PUT /api/v1/keys/*`. */
  readonly method: string;
  /** The node call it made: a write request's type (`put`, `txn`, `compaction`, ...), `addMember`, `defragment`, ... */
  readonly operation: string;
  /** `OK`, or the stable error code (src/api/errors.ts) it failed with. */
  readonly result: string;
  /** The revision a write produced; for other calls the store's revision when they ended. */
  readonly revision?: number;
}

export function keyText(bytes: Uint8Array): KeyText {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return isUtf8(buffer) ? buffer.toString('utf8') : { base64: buffer.toString('base64') };
}

export function rangeTarget(range: Pick<RangeRequest, 'key' | 'rangeEnd'>): AuditTarget {
  return { key: keyText(range.key), ...(range.rangeEnd === undefined || range.rangeEnd.length === 0 ? {} : { rangeEnd: keyText(range.rangeEnd) }) };
}

/** An operation's name is an identifier: nothing else a request carries is taken for one. */
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/**
 * A write's operation: its type, and for a type that carries several operations under a string
 * `op` (as the auth requests do: `{ type: 'auth', auth: { op: 'userAdd', ... } }`) that op too,
 * as `auth.userAdd`, so each kind of change is told apart without this module knowing it.
 */
export function writeOperation(request: WriteRequest): string {
  const body = (request as unknown as Record<string, { readonly op?: unknown } | undefined>)[request.type];
  const op = body?.op;
  return typeof op === 'string' && IDENTIFIER.test(op) ? `${request.type}.${op}` : request.type;
}

/** What a write request names; a type this function does not know is recorded by its type alone. */
export function writeTarget(request: WriteRequest): AuditTarget {
  switch (request.type) {
    case 'put':
      return { key: keyText(request.put.key) };
    case 'deleteRange':
      return rangeTarget(request.deleteRange);
    case 'txn':
      return txnTarget([...request.txn.success, ...request.txn.failure]);
    case 'leaseGrant':
      return request.leaseGrant.id === undefined || request.leaseGrant.id === 0 ? {} : { lease: request.leaseGrant.id };
    case 'leaseRevoke':
      return { lease: request.leaseRevoke.id };
    case 'compaction':
      return { compactRevision: request.compaction.revision };
    default:
      return {};
  }
}

function txnTarget(operations: readonly RequestOp[]): AuditTarget {
  const keys: KeyRange[] = [];
  let total = 0;
  const visit = (ops: readonly RequestOp[]): void => {
    for (const op of ops) {
      if (op.type === 'txn') {
        visit([...op.txn.success, ...op.txn.failure]);
        continue;
      }
      total += 1;
      if (keys.length < AUDIT_TXN_KEYS_MAX) keys.push(rangeTarget(op.type === 'put' ? op.put : op.type === 'range' ? op.range : op.deleteRange) as KeyRange);
    }
  };
  visit(operations);
  return { keys, ...(total > keys.length ? { keysOmitted: total - keys.length } : {}) };
}

/** The revision a write produced, from its response's header, whatever its type. */
export function responseRevision(response: MvccResponse): number | undefined {
  const body = (response as unknown as Record<string, { readonly header?: { readonly revision?: unknown } } | undefined>)[response.type];
  const revision = body?.header?.revision;
  return typeof revision === 'number' ? revision : undefined;
}
