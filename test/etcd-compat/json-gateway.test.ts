// etcd 3.4's HTTP/JSON gateway (/v3/...) on each member's HTTP port of a real 3-member cluster,
// driven with curl as etcd's dev-guide (api_grpc_gateway.md) shows: keys as base64, a txn with a
// compare, a streamed watch that sees a later put, leases with a streamed keep-alive, the member
// list, status, authentication with the raw token in Authorization, and etcd's errors (unknown
// field, malformed JSON, bad base64, a compacted revision, a body over the limit).
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, waitFor } from '../cluster/cluster-harness.js';

const REQUEST_BYTES_MAX = 1024 * 1024;
let cluster: TestCluster;
const streams: ChildProcessWithoutNullStreams[] = [];

beforeAll(async () => {
  // A 1 MiB request limit, so that a body over it is quick to send.
  cluster = await TestCluster.start({ size: 3, prefix: 'json-gateway', extraArgs: ['--request-bytes-max', String(REQUEST_BYTES_MAX), '--value-bytes-max', String(REQUEST_BYTES_MAX / 2)] });
}, 60_000);

afterAll(async () => {
  for (const stream of streams) stream.kill();
  await cluster?.destroy();
});

const b64 = (text: string): string => Buffer.from(text).toString('base64');

interface CurlAnswer {
  readonly status: number;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

/** `curl -L <url> -X POST -d <body>`, as etcd's dev-guide calls the gateway (the body read from stdin, `-d @-`, as it may be large). */
async function curl(url: string, body: string | undefined, headers: readonly string[] = []): Promise<CurlAnswer> {
  const args = ['-sS', '-L', url, '-X', 'POST', ...(body === undefined ? [] : ['-d', '@-']), ...headers.flatMap((header) => ['-H', header]), '-w', '\n%{http_code}', '--max-time', '10'];
  const run = promisify(execFile)('curl', args, { maxBuffer: 4 * 1024 * 1024 });
  run.child.stdin?.end(body ?? '');
  const { stdout } = await run;
  const cut = stdout.lastIndexOf('\n');
  const text = stdout.slice(0, cut);
  return { status: Number(stdout.slice(cut + 1)), text, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** `curl -N`: a streamed answer, read line by line until it ends or the test stops it; `rest` is what follows the last newline. */
function curlStream(url: string, body: string): { readonly lines: string[]; rest(): string; done(): boolean; stop(): void } {
  const child = spawn('curl', ['-sS', '-N', url, '-X', 'POST', '-d', body, '--max-time', '30']);
  streams.push(child);
  const lines: string[] = [];
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  return { lines, rest: () => partial, done: () => exited, stop: () => child.kill() };
}

const gateway = (path: string, member = 0): string => `${(cluster.members[member] ?? cluster.members[0])!.url}/v3/${path}`;

describe('the etcd JSON gateway', () => {
  it('puts and ranges keys as base64, with etcd 3.4\'s field names and 64-bit integers as strings', async () => {
    const put = await curl(gateway('kv/put'), `{"key": "${b64('foo')}", "value": "${b64('bar')}"}`);
    expect(put.status).toBe(200);
    const header = put.json['header'] as Record<string, unknown>;
    expect(Object.keys(header).sort()).toEqual(['cluster_id', 'member_id', 'raft_term', 'revision']);
    expect(typeof header['revision']).toBe('string');
    expect(typeof header['cluster_id']).toBe('string');

    const range = await curl(gateway('kv/range', 1), `{"key": "${b64('foo')}"}`);
    expect(range.status).toBe(200);
    expect(range.json['count']).toBe('1');
    const [kv] = range.json['kvs'] as Record<string, unknown>[];
    expect(kv).toEqual({ key: b64('foo'), create_revision: header['revision'], mod_revision: header['revision'], version: '1', value: b64('bar') });
    // Fields at their default (more: false, lease: 0) are left out, as etcd's gateway leaves them.
    expect(Object.keys(range.json).sort()).toEqual(['count', 'header', 'kvs']);

    const beta = await curl(`${cluster.members[2]!.url}/v3beta/kv/range`, `{"key": "${b64('foo')}", "keys_only": true}`);
    expect(beta.status).toBe(200);
    expect((beta.json['kvs'] as Record<string, unknown>[])[0]).not.toHaveProperty('value');
  });

  it('takes a write on a follower, which forwards it to the leader', async () => {
    const leader = await cluster.leader();
    const follower = cluster.members.findIndex((member) => member !== leader);
    const put = await curl(gateway('kv/put', follower), `{"key": "${b64('from-follower')}", "value": "${b64('yes')}", "prev_kv": true}`);
    expect(put.status).toBe(200);
    const range = await curl(`${leader.url}/v3/kv/range`, `{"key": "${b64('from-follower')}"}`);
    expect((range.json['kvs'] as Record<string, unknown>[])[0]?.['value']).toBe(b64('yes'));
  });

  it('runs a txn with a compare, and answers responses by their oneof names', async () => {
    const key = b64('txn-key');
    await curl(gateway('kv/put'), `{"key": "${key}", "value": "${b64('v1')}"}`);
    const txn = (value: string): Promise<CurlAnswer> =>
      curl(
        gateway('kv/txn'),
        JSON.stringify({
          compare: [{ result: 'EQUAL', target: 'VALUE', key, value: b64(value) }],
          success: [{ request_put: { key, value: b64('v2') } }],
          failure: [{ request_range: { key } }],
        }),
      );
    const taken = await txn('v1');
    expect(taken.status).toBe(200);
    expect(taken.json['succeeded']).toBe(true);
    expect(Object.keys((taken.json['responses'] as object[])[0]!)).toEqual(['response_put']);
    const refused = await txn('v1');
    expect(refused.json).not.toHaveProperty('succeeded');
    const [failure] = refused.json['responses'] as { response_range: { kvs: { value: string }[] } }[];
    expect(failure?.response_range.kvs[0]?.value).toBe(b64('v2'));
  });

  it('streams a watch with curl -N: created, then each change as {"result": ...} on its own line', async () => {
    const key = b64('watched');
    const watch = curlStream(gateway('watch', 1), `{"create_request": {"key": "${key}"}}`);
    try {
      await waitFor('the watch to be created', 10_000, () => watch.lines.find((line) => line.includes('"created":true')));
      await curl(gateway('kv/put', 2), `{"key": "${key}", "value": "${b64('seen')}"}`);
      await curl(gateway('kv/deleterange'), `{"key": "${key}"}`);
      await waitFor('both events', 10_000, () => (watch.lines.length >= 3 ? true : undefined));
      const [put, deleted] = watch.lines.slice(1, 3).map((line) => JSON.parse(line) as { result: { events: Record<string, unknown>[] } });
      // PUT is the enum's default, so etcd's gateway leaves "type" out; DELETE is named.
      expect(put!.result.events[0]).not.toHaveProperty('type');
      expect((put!.result.events[0]!['kv'] as Record<string, unknown>)['value']).toBe(b64('seen'));
      expect(deleted!.result.events[0]!['type']).toBe('DELETE');
    } finally {
      watch.stop();
    }
  });

  it('ends a stream whose next request is not one with an {"error": ...} chunk, and streams a snapshot', async () => {
    const watch = curlStream(gateway('watch'), `{"create_request": {"key": "${b64('x')}"}} {"create_request": {"nope": 1}}`);
    try {
      await waitFor('the watch to end', 10_000, () => (watch.done() ? true : undefined));
      // The first request may be answered before the second is read; nothing else is.
      for (const line of watch.lines) expect(JSON.parse(line)).toMatchObject({ result: { created: true } });
      expect(JSON.parse(watch.rest())).toEqual({ error: { grpc_code: 3, http_code: 400, message: expect.stringContaining('"nope" is unknown') as string, http_status: 'Bad Request' } });
    } finally {
      watch.stop();
    }
    const snapshot = curlStream(gateway('maintenance/snapshot', 1), '{}');
    try {
      await waitFor('the snapshot to end', 20_000, () => (snapshot.done() ? true : undefined));
      const chunks = snapshot.lines.map((line) => (JSON.parse(line) as { result: { blob?: string } }).result);
      expect(chunks.length).toBeGreaterThan(0);
      expect(Buffer.concat(chunks.map((chunk) => Buffer.from(chunk.blob ?? '', 'base64'))).length).toBeGreaterThan(512);
    } finally {
      snapshot.stop();
    }
  });

  it('grants a lease, keeps it alive over a stream, and tells its time to live', async () => {
    const grant = await curl(gateway('lease/grant'), '{"TTL": 30}');
    expect(grant.status).toBe(200);
    const id = grant.json['ID'] as string;
    expect(id).toMatch(/^\d+$/);
    expect(grant.json['TTL']).toBe('30');

    const keepAlive = curlStream(gateway('lease/keepalive', 1), `{"ID": "${id}"}`);
    try {
      const line = await waitFor('the keep-alive answer', 10_000, () => keepAlive.lines[0]);
      expect((JSON.parse(line) as { result: Record<string, unknown> }).result).toMatchObject({ ID: id, TTL: '30' });
    } finally {
      keepAlive.stop();
    }

    const timeToLive = await curl(gateway('kv/lease/timetolive', 2), `{"ID": "${id}", "keys": true}`);
    expect(timeToLive.status).toBe(200);
    expect(timeToLive.json['grantedTTL']).toBe('30');
    const leases = await curl(gateway('lease/leases'), '{}');
    expect(leases.json['leases']).toContainEqual({ ID: id });
    expect((await curl(gateway('lease/revoke'), `{"ID": "${id}"}`)).status).toBe(200);
    const gone = await curl(gateway('lease/revoke'), `{"ID": "${id}"}`);
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ error: 'etcdserver: requested lease not found', message: 'etcdserver: requested lease not found', code: 5 });
  });

  it('lists the members and answers the status', async () => {
    const list = await curl(gateway('cluster/member/list'), '{}');
    expect(list.status).toBe(200);
    const members = list.json['members'] as Record<string, unknown>[];
    expect(members.map((member) => member['name']).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(Object.keys(members[0]!)).toEqual(expect.arrayContaining(['ID', 'name', 'peerURLs', 'clientURLs']));
    const status = await curl(gateway('maintenance/status', 1), '{}');
    expect(status.status).toBe(200);
    expect(status.json).toHaveProperty('leader');
    expect(typeof status.json['dbSize']).toBe('string');
  });

  it('answers on the gRPC port too, at the client URLs the member list advertises, as etcd\'s client port does', async () => {
    const list = await curl(gateway('cluster/member/list'), '{}');
    // Plaintext client URLs are listed as host:port (see etcdClientUrlOf), which curl reads as http://.
    const clientUrls = (list.json['members'] as Record<string, unknown>[]).flatMap((member) => member['clientURLs'] as string[]);
    expect(clientUrls.sort()).toEqual(cluster.members.map((member) => member.grpcAddress).sort());
    for (const [index, url] of clientUrls.entries()) {
      const put = await curl(`${url}/v3/kv/put`, `{"key": "${b64('on-grpc-port')}", "value": "${b64(`v${index}`)}"}`);
      expect(put.status, url).toBe(200);
      const range = await curl(`${url}/v3/kv/range`, `{"key": "${b64('on-grpc-port')}"}`);
      expect((range.json['kvs'] as Record<string, unknown>[])[0]?.['value']).toBe(b64(`v${index}`));
    }
    const stream = curlStream(`${clientUrls[0]!}/v3/watch`, `{"create_request": {"key": "${b64('on-grpc-port')}"}}`);
    await waitFor('the watch on the gRPC port to be created', 10_000, async () => (stream.lines.some((line) => line.includes('"created":true')) ? true : undefined));
    await curl(`${clientUrls[1]!}/v3/kv/put`, `{"key": "${b64('on-grpc-port')}", "value": "${b64('watched')}"}`);
    await waitFor('the put to reach the watch on the gRPC port', 10_000, async () => (stream.lines.some((line) => line.includes(b64('watched'))) ? true : undefined));
    stream.stop();
  });

  it('refuses what is not the request message with gRPC code 3, and sends nothing on', async () => {
    const unknownField = await curl(gateway('kv/put'), `{"key": "${b64('never')}", "value": "${b64('x')}", "prevKv": true, "bogus": 1}`);
    expect(unknownField.status).toBe(400);
    expect(unknownField.json).toMatchObject({ code: 3 });
    expect(unknownField.json['error']).toContain('"bogus" is unknown');
    expect(Object.keys(unknownField.json)).toEqual(['error', 'message', 'code']);

    const malformed = await curl(gateway('kv/put'), `{"key": "${b64('never')}"`);
    expect(malformed.status).toBe(400);
    expect(malformed.json['code']).toBe(3);
    expect(malformed.json['message']).toContain('not JSON');

    const badBase64 = await curl(gateway('kv/put'), '{"key": "!!!", "value": "x"}');
    expect(badBase64.status).toBe(400);
    expect(badBase64.json['code']).toBe(3);
    expect(badBase64.json['message']).toContain('base64');

    const never = await curl(gateway('kv/range'), `{"key": "${b64('never')}"}`);
    expect(never.json).not.toHaveProperty('kvs');

    const noKey = await curl(gateway('kv/range'), undefined);
    expect(noKey).toMatchObject({ status: 400, json: { error: 'etcdserver: key is not provided', code: 3 } });

    const unknownPath = await curl(gateway('kv/nothing'), '{}');
    expect(unknownPath.status).toBe(404);
    expect(unknownPath.json['code']).toBe(5);

    const tooLarge = await curl(gateway('kv/put'), JSON.stringify({ key: b64('big'), value: Buffer.alloc(REQUEST_BYTES_MAX).toString('base64') }));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json['code']).toBe(8);
    expect((await curl(gateway('kv/range'), `{"key": "${b64('big')}"}`)).json).not.toHaveProperty('kvs');
  });

  it('reaches the gRPC API through a socket in a private directory of the data directory, removed when the member stops', async () => {
    const member = cluster.members[1]!;
    const directory = join(member.dataDir, 'gateway');
    expect(statSync(directory).mode & 0o777).toBe(0o700);
    expect(statSync(join(directory, 'grpc.sock')).isSocket()).toBe(true);
    await member.terminate();
    expect(existsSync(directory)).toBe(false);
    member.start();
    await member.waitUntilReady();
    expect((await curl(gateway('maintenance/status', 1), '{}')).json.version).toBe('3.4.31');
  });

  it('answers a compacted revision with etcd\'s text', async () => {
    const key = b64('compacted');
    const first = await curl(gateway('kv/put'), `{"key": "${key}", "value": "${b64('1')}"}`);
    const revision = (first.json['header'] as { revision: string }).revision;
    const second = await curl(gateway('kv/put'), `{"key": "${key}", "value": "${b64('2')}"}`);
    const compact = await curl(gateway('kv/compaction'), `{"revision": "${(second.json['header'] as { revision: string }).revision}", "physical": true}`);
    expect(compact.status).toBe(200);
    const old = await curl(gateway('kv/range', 2), `{"key": "${key}", "revision": "${revision}"}`);
    expect(old.status).toBe(400);
    expect(old.json).toEqual({ error: 'etcdserver: mvcc: required revision has been compacted', message: 'etcdserver: mvcc: required revision has been compacted', code: 11 });
  });

  // Last: it leaves authentication on for its own calls only, and turns it off again.
  it('authenticates, serves a call that carries the token in Authorization, and refuses one without', async () => {
    expect((await curl(gateway('auth/user/add'), '{"name": "root", "password": "rootpw"}')).status).toBe(200);
    expect((await curl(gateway('auth/role/add'), '{"name": "root"}')).status).toBe(200);
    expect((await curl(gateway('auth/user/grant'), '{"user": "root", "role": "root"}')).status).toBe(200);
    expect((await curl(gateway('auth/enable'), '{}')).status).toBe(200);
    try {
      const authenticate = await curl(gateway('auth/authenticate', 1), '{"name": "root", "password": "rootpw"}');
      expect(authenticate.status).toBe(200);
      const token = authenticate.json['token'] as string;
      expect(token.length).toBeGreaterThan(0);

      const withToken = await curl(gateway('kv/put', 1), `{"key": "${b64('secured')}", "value": "${b64('ok')}"}`, [`Authorization: ${token}`]);
      expect(withToken.status).toBe(200);
      const withoutToken = await curl(gateway('kv/put', 1), `{"key": "${b64('secured')}", "value": "${b64('no')}"}`);
      expect(withoutToken.status).toBe(400);
      expect(withoutToken.json).toMatchObject({ error: 'etcdserver: user name is empty', code: 3 });
      const wrongPassword = await curl(gateway('auth/authenticate'), '{"name": "root", "password": "wrong"}');
      expect(wrongPassword.json['error']).toBe('etcdserver: authentication failed, invalid user ID or password');
      const read = await curl(gateway('kv/range', 2), `{"key": "${b64('secured')}"}`, [`Authorization: ${token}`]);
      expect((read.json['kvs'] as Record<string, unknown>[])[0]?.['value']).toBe(b64('ok'));
    } finally {
      const token = (await curl(gateway('auth/authenticate'), '{"name": "root", "password": "rootpw"}')).json['token'] as string;
      expect((await curl(gateway('auth/disable'), '{}', [`Authorization: ${token}`])).status).toBe(200);
    }
  });
});
