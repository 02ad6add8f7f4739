// An auth-enabled 3-member cluster keeps its users, roles and permissions through kill -9 of
// its leader (the auth state is replicated through Raft and stored with the key space), and a
// backup restored later brings back the users it held. Tokens come from REST's
// POST /api/v1/auth/authenticate and are sent as Authorization: Bearer.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdctl, etcdctlOk } from '../etcd-compat/etcdctl-runner.js';
import { request, type ServerProcess, TestCluster, temporaryDirectory } from './cluster-harness.js';

let cluster: TestCluster;
let auditDirectory: string;

beforeAll(async () => {
  auditDirectory = await temporaryDirectory('auth-audit');
  cluster = await TestCluster.start({ size: 3, prefix: 'auth-durability', memberOptions: (name) => ({ environment: { BVAULT_AUDIT_LOG_PATH: join(auditDirectory, `${name}.log`) } }) });
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

const root = ['--user', 'root:rootpw'];
const alice = ['--user', 'alice:alicepw'];

async function token(member: ServerProcess, name: string, password: string): Promise<string> {
  const answer = await request(member.url, 'POST', '/api/v1/auth/authenticate', { name, password });
  if (answer.status !== 200) throw new Error(`authenticate answered ${answer.status}: ${answer.text}`);
  return (answer.json as { token: string }).token;
}

async function expectAuthIntact(member: ServerProcess): Promise<void> {
  expect(await etcdctlOk([member], [...root, 'user', 'list'])).toBe('alice\nroot\n');
  expect(await etcdctlOk([member], [...root, 'user', 'get', 'alice'])).toBe('User: alice\nRoles: app\n');
  expect(await etcdctlOk([member], [...root, 'role', 'get', 'app'])).toContain('[/app/, /app0) (prefix /app/)');
  expect((await etcdctl([member], [...alice, 'put', '/elsewhere', 'x'])).stderr).toContain('etcdserver: permission denied');
}

describe('an auth-enabled cluster', () => {
  it('keeps users, roles and permissions through kill -9 of its leader, and a restored backup brings them back', async () => {
    const all = cluster.members;
    await etcdctlOk(all, ['user', 'add', 'root:rootpw', '--interactive=false']);
    await etcdctlOk(all, ['user', 'add', 'alice:alicepw', '--interactive=false']);
    await etcdctlOk(all, ['role', 'add', 'app']);
    await etcdctlOk(all, ['role', 'grant-permission', 'app', '--prefix=true', 'readwrite', '/app/']);
    await etcdctlOk(all, ['user', 'grant-role', 'alice', 'app']);
    await etcdctlOk(all, ['auth', 'enable']);

    // REST: a bad password is 401 with etcd's text; a token reads inside the grant and is refused outside it.
    const wrong = await request(all[0]!.url, 'POST', '/api/v1/auth/authenticate', { name: 'alice', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ error: { code: 'AUTH_FAILED', message: 'etcdserver: authentication failed, invalid user ID or password' } });
    const aliceToken = await token(all[0]!, 'alice', 'alicepw');
    // Issued by n1, accepted at once by n2: a member that does not know a token catches up before refusing it.
    expect((await request(all[1]!.url, 'PUT', '/api/v1/keys//app/rest', 'v', { authorization: `Bearer ${aliceToken}` })).status).toBe(200);
    expect((await request(all[2]!.url, 'GET', '/api/v1/keys/other', undefined, { authorization: `Bearer ${aliceToken}` })).status).toBe(403);
    expect((await request(all[2]!.url, 'GET', '/api/v1/keys/app/rest', undefined, { authorization: 'Bearer forged' })).json).toMatchObject({ error: { code: 'AUTH_INVALID_TOKEN' } });

    const rootToken = await token(all[0]!, 'root', 'rootpw');
    const backup = await fetch(`${all[0]!.url}/api/v1/admin/backup`, { method: 'POST', headers: { authorization: `Bearer ${rootToken}` } });
    expect(backup.status).toBe(200);
    const backupBytes = new Uint8Array(await backup.arrayBuffer());
    expect((await request(all[0]!.url, 'POST', '/api/v1/admin/backup', undefined, { authorization: `Bearer ${aliceToken}` })).status).toBe(403);

    const leader = await cluster.leader();
    await leader.kill();
    const survivors = cluster.running();
    await cluster.leader(15_000, leader);
    expect(await etcdctlOk(survivors, [...alice, 'put', '/app/after-kill', '1'])).toBe('OK\n');
    leader.start();
    await leader.waitUntilReady();
    for (const member of all) await expectAuthIntact(member);

    await etcdctlOk(all, [...root, 'user', 'delete', 'alice']);
    expect(await etcdctlOk(all, [...root, 'user', 'list'])).toBe('root\n');
    const freshRoot = await token(all[1]!, 'root', 'rootpw');
    const restored = await fetch(`${all[1]!.url}/api/v1/admin/restore`, { method: 'POST', headers: { authorization: `Bearer ${freshRoot}`, 'content-type': 'application/octet-stream' }, body: backupBytes });
    expect(restored.status).toBe(200);
    for (const member of all) await expectAuthIntact(member);

    // The audit log has the auth changes, made as the user auth resolved, and never a password or token.
    const audit = (await Promise.all(all.map((member) => readFile(join(auditDirectory, `${member.name}.log`), 'utf8').catch(() => '')))).join('');
    const authLines = audit.split('\n').filter((line) => line.includes('"operation":"auth.'));
    expect(authLines.length).toBeGreaterThanOrEqual(7);
    expect(authLines.some((line) => line.includes('"user":"root"') && line.includes('"operation":"auth.userDelete"'))).toBe(true);
    for (const secret of ['rootpw', 'alicepw', aliceToken, rootToken, 'scrypt$']) expect(audit).not.toContain(secret);
  });
});
