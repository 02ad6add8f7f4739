// The replicated authentication state, as etcd 3.4 keeps it: users (a password hash, never the
// password, and granted roles), roles with permissions on keys and key ranges, whether
// authentication is enabled, and the auth revision that every change moves. It is an immutable
// value: applying an auth request returns a new state (auth-apply.ts), so a failed request
// leaves nothing behind. Pure: no I/O, no clock.

export const ROOT_USER = 'root';
export const ROOT_ROLE = 'root';

/** etcd's authpb.Permission.Type values. */
export const PermissionType = { Read: 0, Write: 1, ReadWrite: 2 } as const;
export type PermissionType = (typeof PermissionType)[keyof typeof PermissionType];

/** A key (`rangeEnd` absent), a range [key, rangeEnd), or every key >= key (`rangeEnd` = [0]), as etcd. */
export interface Permission {
  readonly type: PermissionType;
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
}

export interface UserRecord {
  readonly name: string;
  /** password-hash.ts's encoding; absent for a user added with `noPassword` (certificate or token only). */
  readonly passwordHash?: string;
  /** Sorted, without duplicates. */
  readonly roles: readonly string[];
}

export interface RoleRecord {
  readonly name: string;
  /** Sorted by key. */
  readonly permissions: readonly Permission[];
}

export interface AuthState {
  readonly enabled: boolean;
  /** Moves on every change, as etcd's auth revision; tokens and requests carry the one they saw. Starts at 1. */
  readonly revision: number;
  readonly users: ReadonlyMap<string, UserRecord>;
  readonly roles: ReadonlyMap<string, RoleRecord>;
}

/**
 * The bounds that keep the whole state one modest record (etcd has none; a state machine needs
 * them): each auth change rewrites the record, so its size is the cost of every change.
 */
export const AUTH_LIMITS = {
  usersMax: 1_000,
  rolesMax: 1_000,
  rolesPerUserMax: 32,
  permissionsPerRoleMax: 256,
  nameBytesMax: 256,
} as const;

export function initialAuthState(): AuthState {
  return { enabled: false, revision: 1, users: new Map(), roles: new Map() };
}

export function hasRootRole(user: UserRecord | undefined): boolean {
  return user !== undefined && user.roles.includes(ROOT_ROLE);
}

/** Who made a request, as etcd's RequestHeader carries it: the user and the auth revision the check saw. */
export interface Caller {
  /** Empty for an anonymous caller. */
  readonly user: string;
  readonly authRevision: number;
}

/** A half-open key interval; `end` undefined means unbounded. */
interface Interval {
  readonly start: Uint8Array;
  readonly end: Uint8Array | undefined;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** The interval a key and range end name, with etcd's conventions (absent end: one key; [0]: to the end). */
export function intervalOf(key: Uint8Array, rangeEnd: Uint8Array | undefined): Interval {
  if (rangeEnd === undefined || rangeEnd.length === 0) return { start: key, end: Buffer.concat([key, Buffer.from([0])]) };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start: key, end: undefined };
  return { start: key, end: rangeEnd };
}

function grants(permission: PermissionType, wanted: 'read' | 'write'): boolean {
  return permission === PermissionType.ReadWrite || permission === (wanted === 'read' ? PermissionType.Read : PermissionType.Write);
}

/**
 * Whether `user` may read or write every key of [key, rangeEnd): the union of the user's
 * permissions of that kind, over all its roles, must cover the whole range (as etcd's
 * range-permission cache merges them). The root role may do anything.
 */
export function isPermitted(state: AuthState, userName: string, wanted: 'read' | 'write', key: Uint8Array, rangeEnd: Uint8Array | undefined): boolean {
  const user = state.users.get(userName);
  if (user === undefined) return false;
  if (hasRootRole(user)) return true;
  const covering: Interval[] = [];
  for (const roleName of user.roles) {
    for (const permission of state.roles.get(roleName)?.permissions ?? []) {
      if (grants(permission.type, wanted)) covering.push(intervalOf(permission.key, permission.rangeEnd));
    }
  }
  return covers(covering, intervalOf(key, rangeEnd));
}

function covers(intervals: Interval[], wanted: Interval): boolean {
  intervals.sort((a, b) => compareBytes(a.start, b.start));
  let reached = wanted.start;
  for (const interval of intervals) {
    if (compareBytes(interval.start, reached) > 0) break;
    if (interval.end === undefined) return true;
    if (compareBytes(interval.end, reached) > 0) reached = interval.end;
    if (wanted.end !== undefined && compareBytes(reached, wanted.end) >= 0) return true;
  }
  return wanted.end !== undefined && compareBytes(reached, wanted.end) >= 0;
}
