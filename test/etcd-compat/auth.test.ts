// etcd's authentication and role-based access against a real 3-member cluster, as etcd clients
// use it: etcdctl 3.4 (user, role, grant-permission --prefix, grant-role, auth enable with its
// own root-role step, --user, auth disable) and the etcd3 npm client (users, roles, permissions,
// authenticate, a read and a watch refused outside the grant), with etcd's error texts.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Etcd3, Range } from 'etcd3';
import { connect } from '../../src/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT, TestCluster } from '../cluster/cluster-harness.js';
import { etcdctl, etcdctlOk, grpcEndpoint } from './etcdctl-runner.js';

let cluster: TestCluster;
const clients: Etcd3[] = [];

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 3, prefix: 'etcd-auth' });
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await cluster?.destroy();
});

function etcd3(username?: string, password?: string): Etcd3 {
  const client = new Etcd3({ hosts: cluster.members.map(grpcEndpoint), ...(username === undefined ? {} : { auth: { username, password: password ?? '' } }) });
  clients.push(client);
  return client;
}

describe('etcdctl 3.4 with authentication', () => {
  it('sets up users and roles, enables auth, and then checks every call against the grants', async () => {
    const all = cluster.members;
    expect(await etcdctlOk(all, ['user', 'add', 'root:rootpw', '--interactive=false'])).toBe('User root created\n');
    expect(await etcdctlOk(all, ['user', 'add', 'alice:alicepw', '--interactive=false'])).toBe('User alice created\n');
    expect(await etcdctlOk(all, ['role', 'add', 'app'])).toBe('Role app created\n');
    expect(await etcdctlOk(all, ['role', 'grant-permission', 'app', '--prefix=true', 'readwrite', '/app/'])).toBe('Role app updated\n');
    expect(await etcdctlOk(all, ['user', 'grant-role', 'alice', 'app'])).toBe('Role app is granted to user alice\n');
    // etcdctl adds the root role and grants it to root when AuthEnable answers that root lacks it.
    expect(await etcdctlOk(all, ['auth', 'enable'])).toBe('Authentication Enabled\n');

    const alice = ['--user', 'alice:alicepw'];
    expect(await etcdctlOk(all, [...alice, 'put', '/app/x', '1'])).toBe('OK\n');
    expect(await etcdctlOk(all, [...alice, 'get', '/app/', '--prefix'])).toBe('/app/x\n1\n');
    const outside = await etcdctl(all, [...alice, 'put', '/other', '1']);
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toContain('etcdserver: permission denied');
    const anonymous = await etcdctl(all, ['get', '/app/x']);
    expect(anonymous.stderr).toContain('etcdserver: user name is empty');
    const wrongPassword = await etcdctl(all, ['--user', 'alice:wrong', 'get', '/app/x']);
    expect(wrongPassword.stderr).toContain('etcdserver: authentication failed, invalid user ID or password');
    const selfGrant = await etcdctl(all, [...alice, 'user', 'grant-role', 'alice', 'root']);
    expect(selfGrant.stderr).toContain('etcdserver: permission denied');
    const compact = await etcdctl(all, [...alice, 'compact', '2']);
    expect(compact.stderr).toContain('etcdserver: permission denied');

    const root = ['--user', 'root:rootpw'];
    expect(await etcdctlOk(all, [...root, 'role', 'list'])).toBe('app\nroot\n');
    expect(await etcdctlOk(all, [...root, 'user', 'list'])).toBe('alice\nroot\n');
    expect(await etcdctlOk(all, [...alice, 'user', 'get', 'alice'])).toBe('User: alice\nRoles: app\n');
    expect(await etcdctlOk(all, [...root, 'role', 'get', 'app'])).toBe('Role app\nKV Read:\n\t[/app/, /app0) (prefix /app/)\nKV Write:\n\t[/app/, /app0) (prefix /app/)\n');
    expect(await etcdctlOk(all, [...root, 'put', '/other', 'root-may'])).toBe('OK\n');

    // Guessing: after 5 failed attempts within a minute the user is refused whatever the password.
    await etcdctlOk(all, [...root, 'user', 'add', 'carol:carolpw', '--interactive=false']);
    for (let attempt = 0; attempt < 5; attempt++) expect((await etcdctl([all[0]!], ['--user', 'carol:guess', 'get', '/app/x'])).stderr).toContain('authentication failed');
    const limited = await etcdctl([all[0]!], ['--user', 'carol:carolpw', 'get', '/app/x']);
    expect(limited.stderr).toContain('too many failed authentication attempts for user "carol": 5 in the last 60 s, the limit is 5; retry after');
    const emptyName = await etcdctl(all, [...root, 'user', 'add', ':nopw', '--interactive=false']);
    expect(emptyName.code).not.toBe(0);

    expect(await etcdctlOk(all, [...root, 'auth', 'disable'])).toBe('Authentication Disabled\n');
    expect(await etcdctlOk(all, ['get', '/other'])).toBe('/other\nroot-may\n');
    expect(await etcdctlOk(all, ['auth', 'enable'])).toBe('Authentication Enabled\n');
  });
});

describe('the etcd3 npm client with authentication', () => {
  it('manages roles, users and permissions, authenticates, and is refused outside its grant', async () => {
    const root = etcd3('root', 'rootpw');
    const role = await root.role('reader').create();
    await role.grant({ permission: 'Read', range: Range.prefix('/e3/') });
    expect((await role.permissions()).map((permission) => permission.permission)).toEqual(['Read']);
    await root.user('bob').create('bobpw');
    await root.user('bob').addRole('reader');
    expect((await root.user('bob').roles()).map((granted) => granted.name)).toEqual(['reader']);
    await root.put('/e3/k').value('v');
    await root.put('/secret').value('s');

    const bob = etcd3('bob', 'bobpw');
    expect(await bob.get('/e3/k').string()).toBe('v');
    await expect(bob.put('/e3/k').value('x')).rejects.toThrow('etcdserver: permission denied');
    await expect(bob.get('/secret').string()).rejects.toThrow('etcdserver: permission denied');
    await expect(bob.user('bob').addRole('root')).rejects.toThrow('etcdserver: permission denied');
    const refused = new Promise<string>((resolve) => {
      void bob
        .watch()
        .key('/secret')
        .create()
        .then((watcher) => watcher.on('error', (error: Error) => resolve(error.message)), (error: Error) => resolve(error.message));
    });
    expect(await refused).toContain('permission denied');

    await expect(etcd3('bob', 'wrong').get('/e3/k').string()).rejects.toThrow('etcdserver: authentication failed, invalid user ID or password');
  });
});

describe('the client library and bvault with --user', () => {
  it('authenticates once, sends the token with every call, and authenticates again when the token is dropped', async () => {
    const endpoints = cluster.members.map(grpcEndpoint);
    const client = connect({ endpoints, user: { name: 'alice', password: 'alicepw' } });
    try {
      await client.put('/app/lib', 'one');
      expect((await client.get('/app/lib'))?.value.toString()).toBe('one');
      await expect(client.put('/not-alice', 'x')).rejects.toMatchObject({ code: 'AUTH_PERMISSION_DENIED', message: 'etcdserver: permission denied' });
      // AuthDisable ends every simple token; after enabling again the client's token is unknown.
      await etcdctlOk(cluster.members, ['--user', 'root:rootpw', 'auth', 'disable']);
      // A client given a user works without a token while auth is off (etcd's clientv3 does too).
      const late = connect({ endpoints, user: { name: 'alice', password: 'alicepw' } });
      try {
        await late.put('/app/late', 'off');
        await etcdctlOk(cluster.members, ['auth', 'enable']);
        await client.put('/app/lib', 'two');
        expect((await client.get('/app/lib'))?.value.toString()).toBe('two');
        await late.put('/app/late', 'on');
      } finally {
        late.close();
      }
    } finally {
      client.close();
    }
    const anonymous = connect({ endpoints, retry: { attemptsMax: 1 } });
    try {
      await expect(anonymous.get('/app/lib')).rejects.toMatchObject({ code: 'AUTH_USER_EMPTY' });
    } finally {
      anonymous.close();
    }
    const wrong = connect({ endpoints, user: { name: 'alice', password: 'wrong' } });
    try {
      await expect(wrong.get('/app/lib')).rejects.toThrow('etcdserver: authentication failed, invalid user ID or password');
    } finally {
      wrong.close();
    }

    const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(REPOSITORY_ROOT, 'src/cli/main.ts'), ...args, '--endpoints', endpoints.join(',')], { cwd: REPOSITORY_ROOT, encoding: 'utf8', timeout: 30_000 });
    const got = cli(['get', '/app/lib', '--user', 'alice:alicepw']);
    expect(got.status).toBe(0);
    expect(got.stdout).toContain('two');
    const denied = cli(['get', '/app/lib']);
    expect(denied.status).not.toBe(0);
    expect(denied.stderr).toContain('etcdserver: user name is empty');
    const badFlag = cli(['get', '/app/lib', '--user', 'alice']);
    expect(badFlag.status).toBe(2);
    expect(badFlag.stderr).toContain('--user must be name:password with a non-empty name, got "alice"');
  });
});
