// Applies one auth request to the replicated auth state with etcd 3.4's checks and errors
// (auth/store.go): every change but Authenticate needs the root role once authentication is
// enabled, and every change moves the auth revision. Pure; a refused request throws an
// MvccError and the caller keeps the old state.
import { MvccError } from '../mvcc/errors.js';
import type { AuthRequest } from './auth-requests.js';
import { AUTH_LIMITS, type AuthState, type Caller, hasRootRole, intervalOf, type Permission, type RoleRecord, ROOT_ROLE, ROOT_USER, type UserRecord } from './auth-state.js';

/** etcd's IsAdminPermitted: nothing to check while authentication is off. */
export function checkAdmin(state: AuthState, caller: Caller | undefined): void {
  if (!state.enabled || caller === undefined) return;
  if (caller.user === '') throw new MvccError('AUTH_USER_EMPTY');
  const user = state.users.get(caller.user);
  if (user === undefined) throw new MvccError('AUTH_USER_NOT_FOUND');
  if (!hasRootRole(user)) throw new MvccError('AUTH_PERMISSION_DENIED');
}

/** The new state; `caller` is undefined for the node's own requests, which are never checked. */
export function applyAuthRequest(state: AuthState, request: AuthRequest, caller: Caller | undefined): AuthState {
  if (request.op === 'authenticate') return authenticate(state, request.name);
  checkAdmin(state, caller);
  switch (request.op) {
    case 'authEnable':
      return enable(state);
    case 'authDisable':
      return state.enabled ? { ...state, enabled: false, revision: state.revision + 1 } : state;
    case 'userAdd':
      return addUser(state, request.name, request.passwordHash);
    case 'userDelete':
      if (state.enabled && request.name === ROOT_USER) throw new MvccError('AUTH_INVALID_MGMT');
      requireUser(state, request.name);
      return withUsers(state, (users) => users.delete(request.name));
    case 'userChangePassword': {
      const user = requireUser(state, request.name);
      return withUsers(state, (users) => users.set(user.name, { ...user, passwordHash: request.passwordHash }));
    }
    case 'userGrantRole':
      return grantRole(state, request.user, request.role);
    case 'userRevokeRole':
      return revokeRole(state, request.user, request.role);
    case 'roleAdd':
      return addRole(state, request.name);
    case 'roleDelete':
      return deleteRole(state, request.name);
    case 'roleGrantPermission':
      return grantPermission(state, request.name, request.permission);
    case 'roleRevokePermission':
      return revokePermission(state, request.role, request.key, request.rangeEnd);
  }
}

function authenticate(state: AuthState, name: string): AuthState {
  if (!state.enabled) throw new MvccError('AUTH_NOT_ENABLED');
  // The user may have been deleted between the password check and this apply.
  if (!state.users.has(name)) throw new MvccError('AUTH_FAILED');
  return state;
}

function enable(state: AuthState): AuthState {
  if (state.enabled) return state;
  const root = state.users.get(ROOT_USER);
  if (root === undefined) throw new MvccError('AUTH_ROOT_USER_NOT_EXIST');
  if (!hasRootRole(root)) throw new MvccError('AUTH_ROOT_ROLE_NOT_EXIST');
  return { ...state, enabled: true, revision: state.revision + 1 };
}

function requireUser(state: AuthState, name: string): UserRecord {
  const user = state.users.get(name);
  if (user === undefined) throw new MvccError('AUTH_USER_NOT_FOUND');
  return user;
}

function requireRole(state: AuthState, name: string): RoleRecord {
  const role = state.roles.get(name);
  if (role === undefined) throw new MvccError('AUTH_ROLE_NOT_FOUND');
  return role;
}

function checkName(kind: 'user' | 'role', name: string): void {
  const bytes = Buffer.byteLength(name);
  if (bytes > AUTH_LIMITS.nameBytesMax) throw new MvccError('AUTH_LIMIT_EXCEEDED', { reason: `${kind} name of ${bytes} bytes`, size: bytes, limit: AUTH_LIMITS.nameBytesMax });
}

function checkCount(what: string, count: number, limit: number): void {
  if (count > limit) throw new MvccError('AUTH_LIMIT_EXCEEDED', { reason: what, size: count, limit });
}

function withUsers(state: AuthState, change: (users: Map<string, UserRecord>) => void): AuthState {
  const users = new Map(state.users);
  change(users);
  return { ...state, users, revision: state.revision + 1 };
}

function withRoles(state: AuthState, change: (roles: Map<string, RoleRecord>) => void): AuthState {
  const roles = new Map(state.roles);
  change(roles);
  return { ...state, roles, revision: state.revision + 1 };
}

function addUser(state: AuthState, name: string, passwordHash: string | undefined): AuthState {
  if (name === '') throw new MvccError('AUTH_USER_EMPTY');
  checkName('user', name);
  if (state.users.has(name)) throw new MvccError('AUTH_USER_ALREADY_EXIST');
  checkCount('users', state.users.size + 1, AUTH_LIMITS.usersMax);
  const user: UserRecord = passwordHash === undefined ? { name, roles: [] } : { name, passwordHash, roles: [] };
  return withUsers(state, (users) => users.set(name, user));
}

function grantRole(state: AuthState, userName: string, roleName: string): AuthState {
  const user = requireUser(state, userName);
  // The root role needs no role record (etcd).
  if (roleName !== ROOT_ROLE) requireRole(state, roleName);
  if (user.roles.includes(roleName)) return state;
  checkCount(`roles of user "${userName}"`, user.roles.length + 1, AUTH_LIMITS.rolesPerUserMax);
  const roles = [...user.roles, roleName].sort();
  return withUsers(state, (users) => users.set(userName, { ...user, roles }));
}

function revokeRole(state: AuthState, userName: string, roleName: string): AuthState {
  if (state.enabled && userName === ROOT_USER && roleName === ROOT_ROLE) throw new MvccError('AUTH_INVALID_MGMT');
  const user = requireUser(state, userName);
  if (!user.roles.includes(roleName)) throw new MvccError('AUTH_ROLE_NOT_GRANTED');
  return withUsers(state, (users) => users.set(userName, { ...user, roles: user.roles.filter((role) => role !== roleName) }));
}

function addRole(state: AuthState, name: string): AuthState {
  if (name === '') throw new MvccError('AUTH_ROLE_EMPTY');
  checkName('role', name);
  if (state.roles.has(name)) throw new MvccError('AUTH_ROLE_ALREADY_EXIST');
  checkCount('roles', state.roles.size + 1, AUTH_LIMITS.rolesMax);
  return withRoles(state, (roles) => roles.set(name, { name, permissions: [] }));
}

/** Deleting a role also takes it from every user that had it, as etcd does. */
function deleteRole(state: AuthState, name: string): AuthState {
  if (state.enabled && name === ROOT_ROLE) throw new MvccError('AUTH_INVALID_MGMT');
  requireRole(state, name);
  const users = new Map(state.users);
  for (const user of state.users.values()) {
    if (user.roles.includes(name)) users.set(user.name, { ...user, roles: user.roles.filter((role) => role !== name) });
  }
  const roles = new Map(state.roles);
  roles.delete(name);
  return { ...state, users, roles, revision: state.revision + 1 };
}

function sameRange(permission: Permission, key: Uint8Array, rangeEnd: Uint8Array | undefined): boolean {
  return Buffer.compare(permission.key, key) === 0 && Buffer.compare(permission.rangeEnd ?? Buffer.alloc(0), rangeEnd ?? Buffer.alloc(0)) === 0;
}

/** A permission on the same key and range end replaces the old one's type, as etcd does. */
function grantPermission(state: AuthState, roleName: string, permission: Permission): AuthState {
  const interval = intervalOf(permission.key, permission.rangeEnd);
  if (interval.end !== undefined && Buffer.compare(interval.start, interval.end) >= 0) throw new MvccError('AUTH_INVALID_MGMT');
  const role = requireRole(state, roleName);
  const kept = role.permissions.filter((existing) => !sameRange(existing, permission.key, permission.rangeEnd));
  checkCount(`permissions of role "${roleName}"`, kept.length + 1, AUTH_LIMITS.permissionsPerRoleMax);
  const permissions = [...kept, permission].sort((a, b) => Buffer.compare(a.key, b.key) || Buffer.compare(a.rangeEnd ?? Buffer.alloc(0), b.rangeEnd ?? Buffer.alloc(0)));
  return withRoles(state, (roles) => roles.set(roleName, { ...role, permissions }));
}

function revokePermission(state: AuthState, roleName: string, key: Uint8Array, rangeEnd: Uint8Array | undefined): AuthState {
  const role = requireRole(state, roleName);
  const permissions = role.permissions.filter((existing) => !sameRange(existing, key, rangeEnd));
  if (permissions.length === role.permissions.length) throw new MvccError('AUTH_PERMISSION_NOT_GRANTED');
  return withRoles(state, (roles) => roles.set(roleName, { ...role, permissions }));
}
