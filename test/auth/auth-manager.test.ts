// The authenticator and the caller's view beneath the APIs, over a real state machine (writes
// applied directly, as one member would): Authenticate with simple and JWT tokens, wrong and
// missing passwords, the per-user failed-attempt limit, expired, unknown, malformed and foreign
// tokens, the revision rule, and etcd's rules on who may read users and roles.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AuthManager, AuthManager as Manager, type AuthNode } from '../../src/auth/auth-manager.js';
import { PermissionType } from '../../src/auth/auth-state.js';
import type { JwtTokenSettings } from '../../src/auth/token-settings.js';
import { parseTokenSettings } from '../../src/config/auth-token-setting.js';
import { encodeRequest } from '../../src/mvcc/request-codec.js';
import type { MvccResponse } from '../../src/mvcc/requests.js';
import type { WriteOptions, WriteRequest } from '../../src/node/kv-node.js';
import { bytes, type Harness, openHarness, prefixEnd } from '../mvcc/helpers.js';

let h: Harness;
let nowMs = 0;
const managers: AuthManager[] = [];

/** One member's node as far as the manager needs it: writes go straight into the state machine. */
function nodeOver(harness: Harness): AuthNode {
  const node = {
    async write(request: WriteRequest, options: WriteOptions = {}): Promise<MvccResponse> {
      const data = encodeRequest(options.caller === undefined ? { timestampMs: 1, request } : { timestampMs: 1, request, caller: options.caller });
      const [result] = await harness.store.apply([{ index: ++harness.index, term: 1, data }]);
      if (result?.outcome === 'error') throw result.error;
      if (result?.outcome !== 'ok') throw new Error('not applied');
      return result.response;
    },
    range: (request: Parameters<Harness['store']['range']>[0]) => harness.store.range(request),
    authState: () => harness.store.authState,
    catchUp: () => Promise.resolve(),
    addTokenListener: (listener: Parameters<Harness['store']['addTokenListener']>[0]) => harness.store.addTokenListener(listener),
  };
  return node as unknown as AuthNode;
}

async function open(tokens: Parameters<typeof Manager.open>[0]['tokens'] = { kind: 'simple', ttlMs: 1_000 }, node: AuthNode = nodeOver(h)): Promise<AuthManager> {
  const manager = await Manager.open({ node, tokens, nowMs: () => nowMs, failedAttempts: { attemptsMax: 3, windowMs: 10_000, usersMax: 100 } });
  managers.push(manager);
  return manager;
}

/** root:rootpw with the root role, alice:alicepw with readwrite on app/, auth enabled unless told not to. */
async function setUp(manager: AuthManager, enable = true): Promise<void> {
  const anyone = await manager.callerOf({});
  await manager.change(anyone, { op: 'userAdd', name: 'root', password: 'rootpw' });
  await manager.change(anyone, { op: 'userGrantRole', user: 'root', role: 'root' });
  await manager.change(anyone, { op: 'userAdd', name: 'alice', password: 'alicepw' });
  await manager.change(anyone, { op: 'roleAdd', name: 'app' });
  await manager.change(anyone, { op: 'roleGrantPermission', name: 'app', permission: { type: PermissionType.ReadWrite, key: bytes('app/'), rangeEnd: bytes(prefixEnd('app/')) } });
  await manager.change(anyone, { op: 'userGrantRole', user: 'alice', role: 'app' });
  if (enable) await manager.change(anyone, { op: 'authEnable' });
}

beforeEach(async () => {
  h = await openHarness();
  nowMs = 0;
});
afterEach(async () => {
  for (const manager of managers.splice(0)) manager.close();
  await h.close();
});

describe('Authenticate and simple tokens', () => {
  it('stores only a salted scrypt hash, never the password', async () => {
    const manager = await open();
    await setUp(manager);
    const hash = h.store.authState.users.get('alice')?.passwordHash ?? '';
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(hash).not.toContain('alicepw');
    expect(h.store.authState.users.get('root')?.passwordHash).not.toBe(hash.replace('alice', 'root'));
  });

  it('catches up with the log first, so a member behind an auth enable made through another member still authenticates', async () => {
    // The enable is committed but not yet applied on this member: it applies when the member catches up.
    let behind: (() => Promise<unknown>) | undefined;
    const node = { ...nodeOver(h), catchUp: async () => void (await behind?.()) } as AuthNode;
    const manager = await open(undefined, node);
    await setUp(manager, false);
    behind = async () => {
      behind = undefined;
      await manager.change(await manager.callerOf({}), { op: 'authEnable' });
    };
    expect(await manager.authenticate('alice', 'alicepw')).toMatch(/.+/);
  });

  it('a token works until it goes unused for its TTL; unknown tokens are invalid', async () => {
    const manager = await open();
    await setUp(manager);
    const token = await manager.authenticate('alice', 'alicepw');
    expect(await manager.callerOf({ token })).toEqual({ user: 'alice', authRevision: h.store.authState.revision });
    nowMs += 900;
    await manager.callerOf({ token });
    nowMs += 900; // 1,800 ms after issue, but used 900 ms ago: renewed on use, as etcd does
    await manager.callerOf({ token });
    nowMs += 1_001;
    await expect(manager.callerOf({ token })).rejects.toMatchObject({ code: 'AUTH_INVALID_TOKEN', message: 'etcdserver: invalid auth token' });
    await expect(manager.callerOf({ token: 'made-up' })).rejects.toMatchObject({ code: 'AUTH_INVALID_TOKEN' });
  });

  it('a token from another cluster is unknown here', async () => {
    const manager = await open();
    await setUp(manager);
    const other = await openHarness();
    try {
      const otherManager = await Manager.open({ node: nodeOver(other), tokens: { kind: 'simple', ttlMs: 1_000 }, nowMs: () => nowMs });
      managers.push(otherManager);
      await setUp(otherManager);
      const foreign = await otherManager.authenticate('alice', 'alicepw');
      await expect(manager.callerOf({ token: foreign })).rejects.toMatchObject({ code: 'AUTH_INVALID_TOKEN' });
    } finally {
      await other.close();
    }
  });

  it('refuses a wrong password, an unknown or empty user, and a user without a password, with one text', async () => {
    const manager = await open();
    await setUp(manager);
    await manager.change(await manager.callerOf({ token: await manager.authenticate('root', 'rootpw') }), { op: 'userAdd', name: 'certonly', password: undefined });
    const failed = { code: 'AUTH_FAILED', message: 'etcdserver: authentication failed, invalid user ID or password' };
    await expect(manager.authenticate('alice', 'wrong')).rejects.toMatchObject(failed);
    await expect(manager.authenticate('nobody', 'x')).rejects.toMatchObject(failed);
    await expect(manager.authenticate('', '')).rejects.toMatchObject(failed);
    await expect(manager.authenticate('certonly', '')).rejects.toMatchObject(failed);
  });

  it('limits failed attempts per user, says when to retry, and forgets them after the window', async () => {
    const manager = await open();
    await setUp(manager);
    for (let attempt = 0; attempt < 3; attempt++) await expect(manager.authenticate('alice', 'guess')).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    await expect(manager.authenticate('alice', 'alicepw')).rejects.toMatchObject({
      code: 'AUTH_TOO_MANY_FAILED_ATTEMPTS',
      message: 'beaver-vault: too many failed authentication attempts for user "alice": 3 in the last 10 s, the limit is 3; retry after 10 s',
    });
    // Other users are not held back.
    await manager.authenticate('root', 'rootpw');
    nowMs += 10_001;
    await manager.authenticate('alice', 'alicepw');
  });

  it('refuses Authenticate while auth is off, as etcd', async () => {
    const manager = await open();
    await expect(manager.authenticate('root', 'x')).rejects.toMatchObject({ code: 'AUTH_NOT_ENABLED', message: 'etcdserver: authentication is not enabled' });
  });
});

describe("the caller's view", () => {
  it('reads inside the grant, is denied outside, and refuses an anonymous caller once auth is on', async () => {
    const manager = await open();
    await setUp(manager);
    const view = await manager.nodeFor({ api: 'etcd', method: 'KV.Range', source: 'test' }, { token: await manager.authenticate('alice', 'alicepw') });
    await view.write({ type: 'put', put: { key: bytes('app/1'), value: bytes('v') } });
    expect((await view.range({ key: bytes('app/1') })).count).toBe(1);
    await expect(view.range({ key: bytes('zzz') })).rejects.toMatchObject({ code: 'AUTH_PERMISSION_DENIED' });
    expect(() => view.watch({ key: bytes('zzz') })).toThrow('etcdserver: permission denied');
    await expect(view.hashKv(0)).rejects.toMatchObject({ code: 'AUTH_PERMISSION_DENIED' });
    const anonymous = await manager.nodeFor({ api: 'etcd', method: 'KV.Range', source: 'test' }, {});
    await expect(anonymous.range({ key: bytes('app/1') })).rejects.toMatchObject({ message: 'etcdserver: user name is empty' });
  });

  it('a simple token follows the current auth revision, as etcd: a grant takes effect on the next call', async () => {
    const manager = await open();
    await setUp(manager);
    const aliceToken = await manager.authenticate('alice', 'alicepw');
    const view = await manager.nodeFor({ api: 'etcd', method: 'KV.Range', source: 'test' }, { token: aliceToken });
    await expect(view.range({ key: bytes('b/1') })).rejects.toMatchObject({ code: 'AUTH_PERMISSION_DENIED' });
    const root = await manager.callerOf({ token: await manager.authenticate('root', 'rootpw') });
    await manager.change(root, { op: 'roleGrantPermission', name: 'app', permission: { type: PermissionType.Read, key: bytes('b/'), rangeEnd: bytes('b0') } });
    const later = await manager.nodeFor({ api: 'etcd', method: 'KV.Range', source: 'test' }, { token: aliceToken });
    await later.range({ key: bytes('b/1') });
  });

  it("a write checked before a revocation is refused at apply; a changed password ends the user's simple tokens", async () => {
    const manager = await open();
    await setUp(manager);
    const aliceToken = await manager.authenticate('alice', 'alicepw');
    const checked = await manager.nodeFor({ api: 'etcd', method: 'KV.Put', source: 'test' }, { token: aliceToken });
    const root = await manager.callerOf({ token: await manager.authenticate('root', 'rootpw') });
    await manager.change(root, { op: 'roleAdd', name: 'unrelated' });
    await expect(checked.write({ type: 'put', put: { key: bytes('app/1'), value: bytes('v') } })).rejects.toMatchObject({ code: 'AUTH_OLD_REVISION', message: 'etcdserver: revision of auth store is old' });
    await manager.change(root, { op: 'userChangePassword', name: 'alice', password: 'newpw' });
    await expect(manager.callerOf({ token: aliceToken })).rejects.toMatchObject({ code: 'AUTH_INVALID_TOKEN' });
    await manager.authenticate('alice', 'newpw');
  });

  it("a verified client certificate's common name is the user when no token is given; a token wins over it", async () => {
    const manager = await open();
    await setUp(manager);
    expect(await manager.callerOf({ certificateCommonName: 'alice' })).toEqual({ user: 'alice', authRevision: h.store.authState.revision });
    const viaCertificate = await manager.nodeFor({ api: 'etcd', method: 'KV.Range', source: 'test' }, { certificateCommonName: 'alice' });
    await expect(viaCertificate.range({ key: bytes('zzz') })).rejects.toMatchObject({ code: 'AUTH_PERMISSION_DENIED' });
    await viaCertificate.range({ key: bytes('app/1') });
    const token = await manager.authenticate('root', 'rootpw');
    expect((await manager.callerOf({ token, certificateCommonName: 'alice' })).user).toBe('root');
  });

  it('reads users and roles after catching up with the log, so a change made through another member is seen at once', async () => {
    let behind: (() => Promise<unknown>) | undefined;
    const node = { ...nodeOver(h), catchUp: async () => void (await behind?.()) } as AuthNode;
    const manager = await open(undefined, node);
    await setUp(manager);
    const root = await manager.callerOf({ token: await manager.authenticate('root', 'rootpw') });
    // Committed through another member, not yet applied on this one.
    behind = async () => {
      behind = undefined;
      await manager.change(root, { op: 'userGrantRole', user: 'alice', role: 'root' });
    };
    expect((await manager.userGet(root, 'alice')).roles).toEqual(['app', 'root']);
  });

  it('a user reads itself and its roles but not others, and cannot grant itself a role', async () => {
    const manager = await open();
    await setUp(manager);
    const alice = await manager.callerOf({ token: await manager.authenticate('alice', 'alicepw') });
    expect((await manager.userGet(alice, 'alice')).roles).toEqual(['app']);
    expect((await manager.roleGet(alice, 'app')).permissions).toHaveLength(1);
    await expect(manager.userGet(alice, 'root')).rejects.toThrow('etcdserver: permission denied');
    await expect(manager.userList(alice)).rejects.toThrow('etcdserver: permission denied');
    await expect(manager.change(alice, { op: 'userGrantRole', user: 'alice', role: 'root' })).rejects.toMatchObject({ code: 'AUTH_PERMISSION_DENIED' });
    expect(h.store.authState.users.get('alice')?.roles).toEqual(['app']);
  });
});

describe('JWT tokens', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bv-jwt-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function keyPair(name: string): { pub: string; priv: string } {
    const priv = join(dir, `${name}.key`);
    const pub = join(dir, `${name}.pub`);
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', priv], { stdio: 'ignore' });
    execFileSync('openssl', ['pkey', '-in', priv, '-pubout', '-out', pub], { stdio: 'ignore' });
    return { pub, priv };
  }

  function settings(keys: { pub: string; priv: string }, ttl = '5m'): JwtTokenSettings {
    const parsed = parseTokenSettings(`jwt,pub-key=${keys.pub},priv-key=${keys.priv},sign-method=ES256,ttl=${ttl}`, 300);
    expect(parsed.problems).toEqual([]);
    return parsed.settings as JwtTokenSettings;
  }

  it('signs etcd claims that verify; another key, a malformed or an expired token is invalid', async () => {
    const manager = await open(settings(keyPair('a')));
    await setUp(manager);
    const token = await manager.authenticate('alice', 'alicepw');
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ username: 'alice', revision: h.store.authState.revision });
    expect(typeof claims.exp).toBe('number');
    expect(await manager.callerOf({ token })).toEqual({ user: 'alice', authRevision: h.store.authState.revision });

    const other = await open(settings(keyPair('b')));
    await expect(other.callerOf({ token })).rejects.toMatchObject({ code: 'AUTH_INVALID_TOKEN' });
    await expect(manager.callerOf({ token: 'not.a.jwt' })).rejects.toMatchObject({ code: 'AUTH_INVALID_TOKEN' });
    await expect(manager.callerOf({ token: `${token.slice(0, -4)}AAAA` })).rejects.toMatchObject({ code: 'AUTH_INVALID_TOKEN' });

    // A JWT carries the revision it was signed at: after an auth change it is old.
    await manager.change(await manager.callerOf({ token: await manager.authenticate('root', 'rootpw') }), { op: 'roleAdd', name: 'moves-the-revision' });
    const stale = await manager.nodeFor({ api: 'etcd', method: 'KV.Range', source: 'test' }, { token });
    await expect(stale.range({ key: bytes('app/1') })).rejects.toMatchObject({ code: 'AUTH_OLD_REVISION' });

    const shortLived = await open(settings(keyPair('c'), '1s'));
    const expiring = await shortLived.authenticate('alice', 'alicepw');
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await expect(shortLived.callerOf({ token: expiring })).rejects.toMatchObject({ code: 'AUTH_INVALID_TOKEN' });
  });

  it('auth-token problems are named at once', () => {
    expect(parseTokenSettings('jwt,sign-method=HS256,ttl=forever,colour=red', 300).problems).toEqual([
      'auth-token has an unknown jwt option "colour" (known: pub-key, priv-key, sign-method, ttl)',
      'auth-token jwt needs pub-key=PATH (the public key every member verifies tokens with)',
      'auth-token jwt sign-method must be one of RS256, ES256, got "HS256"',
      'auth-token jwt ttl must be a positive duration such as 30s, 5m or 1h, got "forever"',
    ]);
    expect(parseTokenSettings('opaque', 300).problems).toEqual(['auth-token must be "simple" or "jwt,pub-key=PATH,priv-key=PATH,sign-method=RS256|ES256[,ttl=5m]", got "opaque"']);
  });

  it('a missing key file stops the start with its path', async () => {
    await expect(open({ kind: 'jwt', publicKeyPath: join(dir, 'missing.pub'), signMethod: 'ES256', ttlMs: 1_000 })).rejects.toThrow(`auth-token: cannot read pub-key ${join(dir, 'missing.pub')}`);
  });
});
