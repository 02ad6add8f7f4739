// Encodings of the auth state (one record in the state machine, tag 09 of the generation) and of
// auth requests inside Raft entries. The state is small and bounded (AUTH_LIMITS), so it is
// stored whole: an auth change rewrites one record. Users and roles are written sorted by name,
// so members that applied the same entries hold the same bytes and the same hash.
import type { ByteReader, ByteWriter } from '../mvcc/byte-codec.js';
import { AUTH_OPS, type AuthRequest } from './auth-requests.js';
import type { AuthState, Permission, PermissionType, RoleRecord, UserRecord } from './auth-state.js';

const STATE_FORMAT_VERSION = 1;

interface StoredState {
  readonly version: number;
  readonly enabled: boolean;
  readonly revision: number;
  readonly users: ReadonlyArray<{ readonly name: string; readonly passwordHash?: string; readonly roles: readonly string[] }>;
  readonly roles: ReadonlyArray<{ readonly name: string; readonly permissions: ReadonlyArray<{ readonly type: PermissionType; readonly key: string; readonly rangeEnd?: string }> }>;
}

function byName<T extends { readonly name: string }>(records: Iterable<T>): T[] {
  return [...records].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function encodeAuthState(state: AuthState): Buffer {
  const stored: StoredState = {
    version: STATE_FORMAT_VERSION,
    enabled: state.enabled,
    revision: state.revision,
    users: byName(state.users.values()).map((user) => ({ name: user.name, ...(user.passwordHash === undefined ? {} : { passwordHash: user.passwordHash }), roles: user.roles })),
    roles: byName(state.roles.values()).map((role) => ({
      name: role.name,
      permissions: role.permissions.map((permission) => ({
        type: permission.type,
        key: Buffer.from(permission.key).toString('base64'),
        ...(permission.rangeEnd === undefined ? {} : { rangeEnd: Buffer.from(permission.rangeEnd).toString('base64') }),
      })),
    })),
  };
  return Buffer.from(JSON.stringify(stored));
}

/** Throws on a record this release cannot read: the state machine's data is damaged or newer. */
export function decodeAuthState(bytes: Uint8Array): AuthState {
  const stored = JSON.parse(Buffer.from(bytes).toString('utf8')) as StoredState;
  if (stored.version !== STATE_FORMAT_VERSION) throw new Error(`auth state record has format version ${stored.version}, this release reads ${STATE_FORMAT_VERSION}`);
  const users = new Map<string, UserRecord>(stored.users.map((user) => [user.name, user]));
  const roles = new Map<string, RoleRecord>(
    stored.roles.map((role) => [
      role.name,
      {
        name: role.name,
        permissions: role.permissions.map((permission) => ({
          type: permission.type,
          key: Buffer.from(permission.key, 'base64'),
          ...(permission.rangeEnd === undefined ? {} : { rangeEnd: Buffer.from(permission.rangeEnd, 'base64') }),
        })),
      },
    ]),
  );
  return { enabled: stored.enabled, revision: stored.revision, users, roles };
}

export function writeAuthRequest(writer: ByteWriter, request: AuthRequest): void {
  const op = AUTH_OPS.indexOf(request.op);
  if (op < 0) throw new Error(`unknown auth op ${JSON.stringify(request.op)}: a programming error, never a client's input`);
  writer.byte(op);
  switch (request.op) {
    case 'authEnable':
    case 'authDisable':
      return;
    case 'userAdd':
      writer.string(request.name);
      writer.bool(request.passwordHash !== undefined);
      return writer.string(request.passwordHash ?? '');
    case 'userDelete':
    case 'roleAdd':
    case 'roleDelete':
      return writer.string(request.name);
    case 'userChangePassword':
      writer.string(request.name);
      return writer.string(request.passwordHash);
    case 'userGrantRole':
    case 'userRevokeRole':
      writer.string(request.user);
      return writer.string(request.role);
    case 'roleGrantPermission':
      writer.string(request.name);
      writer.byte(request.permission.type);
      writer.bytes(request.permission.key);
      return writer.bytes(request.permission.rangeEnd ?? new Uint8Array(0));
    case 'roleRevokePermission':
      writer.string(request.role);
      writer.bytes(request.key);
      return writer.bytes(request.rangeEnd ?? new Uint8Array(0));
    case 'authenticate':
      writer.string(request.name);
      return writer.string(request.token);
  }
}

function optional(bytes: Uint8Array): { rangeEnd?: Uint8Array } {
  return bytes.length === 0 ? {} : { rangeEnd: bytes };
}

/** Throws RangeError on malformed bytes (request-codec turns it into MVCC_MALFORMED_REQUEST). */
export function readAuthRequest(reader: ByteReader): AuthRequest {
  const op = AUTH_OPS[reader.byte('auth op')];
  switch (op) {
    case 'authEnable':
    case 'authDisable':
      return { op };
    case 'userAdd': {
      const name = reader.string('user name');
      const hasPassword = reader.bool('has password');
      const passwordHash = reader.string('password hash');
      return hasPassword ? { op, name, passwordHash } : { op, name };
    }
    case 'userDelete':
    case 'roleAdd':
    case 'roleDelete':
      return { op, name: reader.string('name') };
    case 'userChangePassword':
      return { op, name: reader.string('user name'), passwordHash: reader.string('password hash') };
    case 'userGrantRole':
    case 'userRevokeRole':
      return { op, user: reader.string('user name'), role: reader.string('role name') };
    case 'roleGrantPermission': {
      const name = reader.string('role name');
      const type = reader.byte('permission type');
      if (type > 2) throw new RangeError(`permission type: unknown value ${type} at offset ${reader.position - 1}`);
      const permission: Permission = { type: type as PermissionType, key: reader.bytesField('permission key'), ...optional(reader.bytesField('permission range end')) };
      return { op, name, permission };
    }
    case 'roleRevokePermission':
      return { op, role: reader.string('role name'), key: reader.bytesField('permission key'), ...optional(reader.bytesField('permission range end')) };
    case 'authenticate':
      return { op, name: reader.string('user name'), token: reader.string('token') };
    default:
      throw new RangeError(`unknown auth op at offset ${reader.position - 1}`);
  }
}
