// The replicated auth state in the MVCC state machine: etcd 3.4's checks and texts for user,
// role and permission changes, the root rules of AuthEnable, permission checks at apply against
// the caller and auth revision the entry carries, and the state surviving a reopen and a
// snapshot restore (so it travels in Raft snapshots and backups).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuthRequest } from '../../src/auth/auth-requests.js';
import { AUTH_LIMITS, type Caller, isPermitted, PermissionType } from '../../src/auth/auth-state.js';
import { encodeRequest } from '../../src/mvcc/request-codec.js';
import type { MvccRequest, MvccResponse } from '../../src/mvcc/requests.js';
import { bytes, type Harness, openHarness, prefixEnd, put } from '../mvcc/helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await openHarness();
});
afterEach(async () => {
  await h.close();
});

const auth = (request: AuthRequest): MvccRequest => ({ type: 'auth', auth: request });

async function applyAs(caller: Caller | undefined, request: MvccRequest): Promise<MvccResponse> {
  const data = encodeRequest(caller === undefined ? { timestampMs: 1_000, request } : { timestampMs: 1_000, request, caller });
  const [result] = await h.store.apply([{ index: ++h.index, term: 1, data }]);
  if (result?.outcome === 'error') throw result.error;
  if (result?.outcome !== 'ok') throw new Error(`unexpected outcome ${String(result?.outcome)}`);
  return result.response;
}

const root = (): Caller => ({ user: 'root', authRevision: h.store.authState.revision });

/** root with the root role, alice with readwrite on the prefix app/, then auth enabled. */
async function enableWithAlice(): Promise<void> {
  await h.applyAll([
    auth({ op: 'userAdd', name: 'root', passwordHash: 'x' }),
    auth({ op: 'userGrantRole', user: 'root', role: 'root' }),
    auth({ op: 'userAdd', name: 'alice', passwordHash: 'y' }),
    auth({ op: 'roleAdd', name: 'app' }),
    auth({ op: 'roleGrantPermission', name: 'app', permission: { type: PermissionType.ReadWrite, key: bytes('app/'), rangeEnd: bytes(prefixEnd('app/')) } }),
    auth({ op: 'userGrantRole', user: 'alice', role: 'app' }),
    auth({ op: 'authEnable' }),
  ]);
}

describe('auth changes, as etcd 3.4 checks them', () => {
  it('AuthEnable needs a root user that has the root role', async () => {
    await expect(h.apply(auth({ op: 'authEnable' }))).rejects.toMatchObject({ code: 'AUTH_ROOT_USER_NOT_EXIST', message: 'etcdserver: root user does not exist' });
    await h.apply(auth({ op: 'userAdd', name: 'root', passwordHash: 'x' }));
    await expect(h.apply(auth({ op: 'authEnable' }))).rejects.toMatchObject({ message: 'etcdserver: root user does not have root role' });
    await h.apply(auth({ op: 'userGrantRole', user: 'root', role: 'root' }));
    await h.apply(auth({ op: 'authEnable' }));
    expect(h.store.authState.enabled).toBe(true);
  });

  it('refuses duplicates, unknown names and empty names with etcd texts, and moves the auth revision only on a change', async () => {
    const start = h.store.authState.revision;
    await h.apply(auth({ op: 'userAdd', name: 'bob', passwordHash: 'x' }));
    await expect(h.apply(auth({ op: 'userAdd', name: 'bob', passwordHash: 'x' }))).rejects.toMatchObject({ message: 'etcdserver: user name already exists' });
    await expect(h.apply(auth({ op: 'userAdd', name: '' }))).rejects.toMatchObject({ message: 'etcdserver: user name is empty' });
    await expect(h.apply(auth({ op: 'userDelete', name: 'carol' }))).rejects.toMatchObject({ message: 'etcdserver: user name not found' });
    await h.apply(auth({ op: 'roleAdd', name: 'r' }));
    await expect(h.apply(auth({ op: 'roleAdd', name: 'r' }))).rejects.toMatchObject({ message: 'etcdserver: role name already exists' });
    await expect(h.apply(auth({ op: 'roleAdd', name: '' }))).rejects.toMatchObject({ message: 'etcdserver: role name is empty' });
    await expect(h.apply(auth({ op: 'userGrantRole', user: 'bob', role: 'nope' }))).rejects.toMatchObject({ message: 'etcdserver: role name not found' });
    await expect(h.apply(auth({ op: 'userRevokeRole', user: 'bob', role: 'r' }))).rejects.toMatchObject({ message: 'etcdserver: role is not granted to the user' });
    await expect(h.apply(auth({ op: 'roleRevokePermission', role: 'r', key: bytes('k') }))).rejects.toMatchObject({ message: 'etcdserver: permission is not granted to the role' });
    await expect(h.apply(auth({ op: 'roleGrantPermission', name: 'r', permission: { type: PermissionType.Read, key: bytes('b'), rangeEnd: bytes('a') } }))).rejects.toMatchObject({ message: 'etcdserver: invalid auth management' });
    expect(h.store.authState.revision).toBe(start + 2);
    await expect(h.apply(auth({ op: 'userAdd', name: 'x'.repeat(257) }))).rejects.toMatchObject({ code: 'AUTH_LIMIT_EXCEEDED', message: 'beaver-vault: user name of 257 bytes: 257 would exceed the limit of 256' });
  });

  it('bounds roles per user, permissions per role, users and roles, and permission keys', async () => {
    await h.apply(auth({ op: 'userAdd', name: 'u' }));
    const roles = Array.from({ length: AUTH_LIMITS.rolesPerUserMax + 1 }, (_unused, index) => `r${index}`);
    await h.applyAll(roles.map((name) => auth({ op: 'roleAdd', name })));
    await h.applyAll(roles.slice(0, AUTH_LIMITS.rolesPerUserMax).map((role) => auth({ op: 'userGrantRole', user: 'u', role })));
    await expect(h.apply(auth({ op: 'userGrantRole', user: 'u', role: roles.at(-1) as string }))).rejects.toMatchObject({
      message: `beaver-vault: roles of user "u": ${AUTH_LIMITS.rolesPerUserMax + 1} would exceed the limit of ${AUTH_LIMITS.rolesPerUserMax}`,
    });
    const grant = (index: number): MvccRequest => auth({ op: 'roleGrantPermission', name: 'r0', permission: { type: PermissionType.Read, key: bytes(`k${index}`) } });
    await h.applyAll(Array.from({ length: AUTH_LIMITS.permissionsPerRoleMax }, (_unused, index) => grant(index)));
    await expect(h.apply(grant(AUTH_LIMITS.permissionsPerRoleMax))).rejects.toMatchObject({ message: `beaver-vault: permissions of role "r0": ${AUTH_LIMITS.permissionsPerRoleMax + 1} would exceed the limit of ${AUTH_LIMITS.permissionsPerRoleMax}` });
    await expect(h.apply(auth({ op: 'roleGrantPermission', name: 'r1', permission: { type: PermissionType.Read, key: new Uint8Array(2048) } }))).rejects.toMatchObject({ code: 'MVCC_KEY_TOO_LARGE' });
    const more = Array.from({ length: AUTH_LIMITS.rolesMax - roles.length }, (_unused, index) => auth({ op: 'roleAdd', name: `extra${index}` }));
    await h.applyAll(more);
    await expect(h.apply(auth({ op: 'roleAdd', name: 'one-too-many' }))).rejects.toMatchObject({ message: `beaver-vault: roles: ${AUTH_LIMITS.rolesMax + 1} would exceed the limit of ${AUTH_LIMITS.rolesMax}` });
    await h.applyAll(Array.from({ length: AUTH_LIMITS.usersMax - 1 }, (_unused, index) => auth({ op: 'userAdd', name: `user${index}` })));
    await expect(h.apply(auth({ op: 'userAdd', name: 'one-too-many' }))).rejects.toMatchObject({ message: `beaver-vault: users: ${AUTH_LIMITS.usersMax + 1} would exceed the limit of ${AUTH_LIMITS.usersMax}` });
  });

  it('deleting a role takes it from its users; root cannot lose root while auth is on', async () => {
    await enableWithAlice();
    await applyAs(root(), auth({ op: 'roleDelete', name: 'app' }));
    expect(h.store.authState.users.get('alice')?.roles).toEqual([]);
    await expect(applyAs(root(), auth({ op: 'userRevokeRole', user: 'root', role: 'root' }))).rejects.toMatchObject({ message: 'etcdserver: invalid auth management' });
    await expect(applyAs(root(), auth({ op: 'userDelete', name: 'root' }))).rejects.toMatchObject({ message: 'etcdserver: invalid auth management' });
  });

  it('once enabled, only root changes auth: a user cannot grant itself a role', async () => {
    await enableWithAlice();
    const alice: Caller = { user: 'alice', authRevision: h.store.authState.revision };
    await applyAs(root(), auth({ op: 'roleAdd', name: 'admin-ish' }));
    await expect(applyAs({ ...alice, authRevision: h.store.authState.revision }, auth({ op: 'userGrantRole', user: 'alice', role: 'root' }))).rejects.toMatchObject({ code: 'AUTH_PERMISSION_DENIED', message: 'etcdserver: permission denied' });
    await expect(applyAs({ user: '', authRevision: h.store.authState.revision }, auth({ op: 'roleAdd', name: 'z' }))).rejects.toMatchObject({ message: 'etcdserver: user name is empty' });
    expect(h.store.authState.users.get('alice')?.roles).toEqual(['app']);
  });
});

describe('permission checks at apply', () => {
  it('a write inside the grant applies, outside it is denied, and a txn needs every key of both branches', async () => {
    await enableWithAlice();
    const alice = (): Caller => ({ user: 'alice', authRevision: h.store.authState.revision });
    await applyAs(alice(), put('app/a', '1'));
    await expect(applyAs(alice(), put('other', '1'))).rejects.toMatchObject({ code: 'AUTH_PERMISSION_DENIED' });
    const txn = (failureKey: string): MvccRequest => ({
      type: 'txn',
      txn: { compare: [{ result: 0, target: 'version', version: 1, key: bytes('app/a') }], success: [put('app/b', '2') as never], failure: [{ type: 'put', put: { key: bytes(failureKey), value: bytes('3') } }] },
    });
    await applyAs(alice(), txn('app/c'));
    // The failure branch would not run, but its put still needs write permission (etcd).
    await expect(applyAs(alice(), txn('elsewhere'))).rejects.toMatchObject({ code: 'AUTH_PERMISSION_DENIED' });
    expect((await h.get('elsewhere')).count).toBe(0);
    // The node's own requests carry no caller and are never checked.
    await applyAs(undefined, put('system', '1'));
  });

  it('a write checked before a revocation does not apply after it: the old auth revision is refused', async () => {
    await enableWithAlice();
    const seen: Caller = { user: 'alice', authRevision: h.store.authState.revision };
    await applyAs(root(), auth({ op: 'userRevokeRole', user: 'alice', role: 'app' }));
    await expect(applyAs(seen, put('app/x', '1'))).rejects.toMatchObject({ code: 'AUTH_OLD_REVISION', message: 'etcdserver: revision of auth store is old' });
    await expect(applyAs({ ...seen, authRevision: h.store.authState.revision }, put('app/x', '1'))).rejects.toMatchObject({ code: 'AUTH_PERMISSION_DENIED' });
    expect((await h.get('app/x')).count).toBe(0);
  });

  it('revoking a lease needs write on every attached key; compaction needs root', async () => {
    await enableWithAlice();
    const granted = await applyAs(root(), { type: 'leaseGrant', leaseGrant: { ttl: 60 } });
    if (granted.type !== 'leaseGrant') throw new Error('no grant');
    await applyAs(root(), put('secret', 's', { lease: granted.leaseGrant.id }));
    const alice: Caller = { user: 'alice', authRevision: h.store.authState.revision };
    await expect(applyAs(alice, { type: 'leaseRevoke', leaseRevoke: { id: granted.leaseGrant.id } })).rejects.toMatchObject({ code: 'AUTH_PERMISSION_DENIED' });
    await expect(applyAs(alice, { type: 'compaction', compaction: { revision: 2 } })).rejects.toMatchObject({ code: 'AUTH_PERMISSION_DENIED' });
    await applyAs(root(), { type: 'compaction', compaction: { revision: 2 } });
  });

  it('permissions of several roles add up to cover a range, as etcd merges them', async () => {
    await enableWithAlice();
    await applyAs(root(), auth({ op: 'roleAdd', name: 'more' }));
    await applyAs(root(), auth({ op: 'roleGrantPermission', name: 'more', permission: { type: PermissionType.Read, key: bytes(prefixEnd('app/')), rangeEnd: bytes('b') } }));
    await applyAs(root(), auth({ op: 'userGrantRole', user: 'alice', role: 'more' }));
    const state = h.store.authState;
    expect(isPermitted(state, 'alice', 'read', bytes('app/'), bytes('b'))).toBe(true);
    expect(isPermitted(state, 'alice', 'read', bytes('app/'), bytes('c'))).toBe(false);
    expect(isPermitted(state, 'alice', 'write', bytes('app/'), bytes('b'))).toBe(false);
    expect(isPermitted(state, 'alice', 'read', bytes('a'), new Uint8Array([0]))).toBe(false);
    expect(isPermitted(state, 'root', 'write', bytes('a'), new Uint8Array([0]))).toBe(true);
  });
});

describe('the auth state is part of the replicated state', () => {
  it('survives a reopen and travels in a snapshot into another store, and changes the hash', async () => {
    const hashBefore = await h.store.hash();
    await enableWithAlice();
    expect(await h.store.hash()).not.toBe(hashBefore);
    await h.reopen();
    expect(h.store.authState.enabled).toBe(true);
    expect([...h.store.authState.users.keys()]).toEqual(['alice', 'root']);
    const other = await openHarness();
    try {
      await other.store.restore(h.store.snapshot());
      expect(other.store.authState.users.get('alice')?.roles).toEqual(['app']);
      expect(other.store.authState.revision).toBe(h.store.authState.revision);
      expect(await other.store.hash()).toBe(await h.store.hash());
    } finally {
      await other.close();
    }
  });

  it('hands simple-token events to every listener after the batch commits: assigned, a user invalidated, all invalidated', async () => {
    await enableWithAlice();
    const heard: string[] = [];
    h.store.addTokenListener((event) => heard.push(JSON.stringify(event)));
    await h.apply(auth({ op: 'authenticate', name: 'alice', token: 'tok' }));
    await expect(h.apply(auth({ op: 'authenticate', name: 'nobody', token: 't2' }))).rejects.toMatchObject({ message: 'etcdserver: authentication failed, invalid user ID or password' });
    await applyAs(root(), auth({ op: 'userChangePassword', name: 'alice', passwordHash: 'z' }));
    await applyAs(root(), auth({ op: 'authDisable' }));
    expect(heard).toEqual([
      JSON.stringify({ type: 'assigned', name: 'alice', token: 'tok' }),
      JSON.stringify({ type: 'userInvalidated', name: 'alice' }),
      JSON.stringify({ type: 'allInvalidated' }),
    ]);
  });
});
