// The state machine's error registry. Each code is stable and never reused. Where etcd has an
// error for the same condition its exact text is the message, so the etcd API can pass it on;
// where the message adds what etcd's does not say (the limit and the actual value, the lease),
// the etcd API answers with etcd's own text instead (src/api/errors.ts).
// Operating errors (bad input, limits, missing leases) are MvccError values that apply
// returns per request; broken invariants and I/O failures throw and stop the store.

const templates = {
  MVCC_EMPTY_KEY: 'etcdserver: key is not provided',
  MVCC_KEY_TOO_LARGE: 'beaver-vault: key of {size} bytes exceeds the limit of {limit} bytes',
  MVCC_VALUE_TOO_LARGE: 'beaver-vault: value of {size} bytes exceeds the limit of {limit} bytes',
  MVCC_REQUEST_TOO_LARGE: 'etcdserver: request is too large ({size} bytes, limit {limit})',
  MVCC_TOO_MANY_TXN_OPS: 'etcdserver: too many operations in txn request: {size} > {limit}',
  MVCC_DUPLICATE_KEY_IN_TXN: 'etcdserver: duplicate key given in txn request',
  MVCC_KEY_NOT_FOUND: 'etcdserver: key not found',
  MVCC_VALUE_PROVIDED: 'etcdserver: value is provided',
  MVCC_LEASE_PROVIDED: 'etcdserver: lease is provided',
  MVCC_LEASE_NOT_FOUND: 'etcdserver: requested lease not found: lease {lease}',
  MVCC_LEASE_EXISTS: 'etcdserver: lease already exists',
  MVCC_LEASE_TTL_TOO_LARGE: 'etcdserver: too large lease TTL',
  MVCC_LEASE_NOT_PRIMARY: 'lease: not a primary lessor; send keep-alives to the leader',
  MVCC_COMPACTED: 'etcdserver: mvcc: required revision has been compacted',
  MVCC_FUTURE_REV: 'etcdserver: mvcc: required revision is a future revision',
  MVCC_NOSPACE: 'etcdserver: mvcc: database space exceeded',
  MVCC_INVALID_ARGUMENT: 'beaver-vault: invalid argument: {reason}',
  MVCC_MALFORMED_REQUEST: 'beaver-vault: malformed request bytes: {reason}',
  MVCC_SNAPSHOT_INVALID: 'beaver-vault: snapshot rejected: {reason}',
  MVCC_STORE_CLOSED: 'beaver-vault: the key-value store is closed',
  // Authentication and role-based access, with etcd's texts (etcd's rpctypes).
  AUTH_ROOT_USER_NOT_EXIST: 'etcdserver: root user does not exist',
  AUTH_ROOT_ROLE_NOT_EXIST: 'etcdserver: root user does not have root role',
  AUTH_USER_ALREADY_EXIST: 'etcdserver: user name already exists',
  AUTH_USER_EMPTY: 'etcdserver: user name is empty',
  AUTH_USER_NOT_FOUND: 'etcdserver: user name not found',
  AUTH_ROLE_ALREADY_EXIST: 'etcdserver: role name already exists',
  AUTH_ROLE_NOT_FOUND: 'etcdserver: role name not found',
  AUTH_ROLE_EMPTY: 'etcdserver: role name is empty',
  AUTH_FAILED: 'etcdserver: authentication failed, invalid user ID or password',
  AUTH_PERMISSION_NOT_GIVEN: 'etcdserver: permission not given',
  AUTH_PERMISSION_DENIED: 'etcdserver: permission denied',
  AUTH_ROLE_NOT_GRANTED: 'etcdserver: role is not granted to the user',
  AUTH_PERMISSION_NOT_GRANTED: 'etcdserver: permission is not granted to the role',
  AUTH_NOT_ENABLED: 'etcdserver: authentication is not enabled',
  AUTH_INVALID_TOKEN: 'etcdserver: invalid auth token',
  AUTH_INVALID_MGMT: 'etcdserver: invalid auth management',
  AUTH_OLD_REVISION: 'etcdserver: revision of auth store is old',
  // Beaver-Vault's own: the bounds etcd does not have, and the failed-attempt limit.
  AUTH_TOO_MANY_FAILED_ATTEMPTS: 'beaver-vault: too many failed authentication attempts for user "{user}": {size} in the last {window} s, the limit is {limit}; retry after {retryAfterSeconds} s',
  AUTH_LIMIT_EXCEEDED: 'beaver-vault: {reason}: {size} would exceed the limit of {limit}',
} as const;

export type MvccErrorCode = keyof typeof templates;

export interface MvccErrorDetails {
  readonly size?: number;
  readonly limit?: number;
  readonly reason?: string;
  /** The lease a request named, as `<decimal> (0x<hex>)`: the REST API's form and the CLI's. */
  readonly lease?: string;
  /** Set with MVCC_COMPACTED: the store's compact revision. */
  readonly compactRevision?: number;
  /** Set with AUTH_TOO_MANY_FAILED_ATTEMPTS: the user, the window in seconds and when to retry. */
  readonly user?: string;
  readonly window?: number;
  readonly retryAfterSeconds?: number;
}

export class MvccError extends Error {
  override readonly name = 'MvccError';

  constructor(
    readonly code: MvccErrorCode,
    readonly details: MvccErrorDetails = {},
  ) {
    super(formatMessage(code, details));
  }
}

function formatMessage(code: MvccErrorCode, details: MvccErrorDetails): string {
  const values = details as Record<string, unknown>;
  return templates[code].replace(/\{(\w+)\}/g, (_match, name: string) => String(values[name] ?? '?'));
}

/** MVCC_LEASE_NOT_FOUND naming the lease, in both id forms a user may have in hand. */
export function leaseNotFound(id: number): MvccError {
  return new MvccError('MVCC_LEASE_NOT_FOUND', { lease: `${id} (0x${id.toString(16)})` });
}

export function mvccError(code: MvccErrorCode, details?: MvccErrorDetails): MvccError {
  return new MvccError(code, details);
}

export function isMvccError(error: unknown, code?: MvccErrorCode): error is MvccError {
  return error instanceof MvccError && (code === undefined || error.code === code);
}
