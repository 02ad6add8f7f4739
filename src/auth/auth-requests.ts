// The auth changes carried in Raft entries, shaped like etcd's Auth*Request messages. Passwords
// never travel: the member that receives a UserAdd or UserChangePassword hashes the password
// first and proposes the hash, as etcd does.
import type { Permission } from './auth-state.js';

export type AuthRequest =
  | { readonly op: 'authEnable' }
  | { readonly op: 'authDisable' }
  /** `passwordHash` absent: a user without a password (etcd's `options.noPassword`). */
  | { readonly op: 'userAdd'; readonly name: string; readonly passwordHash?: string }
  | { readonly op: 'userDelete'; readonly name: string }
  | { readonly op: 'userChangePassword'; readonly name: string; readonly passwordHash: string }
  | { readonly op: 'userGrantRole'; readonly user: string; readonly role: string }
  | { readonly op: 'userRevokeRole'; readonly user: string; readonly role: string }
  | { readonly op: 'roleAdd'; readonly name: string }
  | { readonly op: 'roleDelete'; readonly name: string }
  | { readonly op: 'roleGrantPermission'; readonly name: string; readonly permission: Permission }
  | { readonly op: 'roleRevokePermission'; readonly role: string; readonly key: Uint8Array; readonly rangeEnd?: Uint8Array }
  /**
   * Assigns a simple token on every member (etcd replicates simple tokens the same way): the
   * receiving member checked the password and drew the token before proposing.
   */
  | { readonly op: 'authenticate'; readonly name: string; readonly token: string };

export const AUTH_OPS = [
  'authEnable',
  'authDisable',
  'userAdd',
  'userDelete',
  'userChangePassword',
  'userGrantRole',
  'userRevokeRole',
  'roleAdd',
  'roleDelete',
  'roleGrantPermission',
  'roleRevokePermission',
  'authenticate',
] as const satisfies readonly AuthRequest['op'][];

/** The state machine's answer; `authenticate` names the user and auth revision the token was assigned at. */
export interface AuthResponse {
  readonly op: AuthRequest['op'];
  readonly authRevision: number;
}

/**
 * What the simple-token table on every member learns from applied entries (etcd keeps simple
 * tokens in memory and drops a user's on a password change or deletion, all on AuthDisable).
 */
export type TokenEvent =
  | { readonly type: 'assigned'; readonly name: string; readonly token: string }
  | { readonly type: 'userInvalidated'; readonly name: string }
  /** AuthDisable, or the whole state replaced by a snapshot or a restore. */
  | { readonly type: 'allInvalidated' };
