// The REST API over a real single-member RaftKvNode (WAL, Raft, MVCC), on a listening socket:
// the same routes as the test double, now through proposals, ReadIndex reads and the node's
// own lease and membership handling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { type HttpApi, startHttpApi } from '../../src/api/http/index.js';
import { silentLogger } from '../../src/observability/logger.js';
import { TestCluster } from '../node/node-kit.js';

let cluster: TestCluster;
let api: HttpApi;
beforeAll(async () => {
  cluster = await TestCluster.start(['solo']);
  const node = await cluster.waitForLeader();
  api = await startHttpApi({ node, host: '127.0.0.1', port: 0, metrics: new Registry(), logger: silentLogger() });
}, 20_000);
afterAll(async () => {
  await api?.close();
  await cluster?.close();
});

const call = (method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(`${api.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });

describe('the REST API over a real single-member RaftKvNode', () => {
  it('writes, reads linearizably and serializably, with ETag preconditions', async () => {
    const stored = await call('PUT', '/api/v1/keys/real/a', 'one', { 'content-type': 'text/plain' });
    expect(stored.status).toBe(200);
    const etag = stored.headers.get('etag') as string;
    const read = await call('GET', '/api/v1/keys/real/a');
    expect([read.status, await read.text(), read.headers.get('etag'), read.headers.get('content-type')]).toEqual([200, 'one', etag, 'text/plain']);
    expect(await (await call('GET', '/api/v1/keys/real/a?consistency=serializable')).text()).toBe('one');
    expect((await call('PUT', '/api/v1/keys/real/a', 'two', { 'if-match': etag })).status).toBe(200);
    expect((await call('PUT', '/api/v1/keys/real/a', 'three', { 'if-match': etag })).status).toBe(412);
    expect(await (await call('GET', '/api/v1/keys/real/a')).text()).toBe('two');
  });

  it('serves the seed forms: /api/v1/kv and a seed-form transaction', async () => {
    expect((await call('PUT', '/api/v1/kv/mykey', '"myvalue"', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(200);
    expect(await (await call('GET', '/api/v1/kv/mykey')).text()).toBe('"myvalue"');
    const txn = await call('POST', '/api/v1/transaction', JSON.stringify({ operations: [{ type: 'PUT', key: 'real/t', value: 'v', ttl_seconds: 60 }, { type: 'GET', key: 'real/t' }] }));
    expect(txn.status).toBe(200);
    expect(await txn.json()).toMatchObject({ succeeded: true, results: [{ put: {} }, { range: { kvs: [{ key: 'real/t', value: 'v' }] } }] });
  });

  it('lists across pages, and refuses bad input without a new revision', async () => {
    for (let index = 0; index < 5; index++) await call('PUT', `/api/v1/keys/page/${index}`, `${index}`);
    const first = (await (await call('GET', '/api/v1/keys?prefix=page/&limit=3')).json()) as { items: unknown[]; nextCursor: string };
    const second = (await (await call('GET', `/api/v1/keys?prefix=page/&limit=3&cursor=${first.nextCursor}`)).json()) as { items: unknown[]; nextCursor: null };
    expect([first.items.length, second.items.length, second.nextCursor]).toEqual([3, 2, null]);
    const revisionBefore = ((await (await call('GET', '/api/v1/admin/status')).json()) as { revision: number }).revision;
    expect((await call('PUT', `/api/v1/keys/${'k'.repeat(1025)}`, 'v')).status).toBe(400);
    expect((await call('PUT', '/api/v1/keys/real/x?ttl=-1', 'v')).status).toBe(400);
    expect((await call('PUT', '/api/v1/keys/real/x?lease=123456', 'v')).status).toBe(404);
    expect((await call('POST', '/api/v1/batch/put', '{"items": [')).status).toBe(400);
    expect(((await (await call('GET', '/api/v1/admin/status')).json()) as { revision: number }).revision).toBe(revisionBefore);
  });

  it('grants leases and reports them from the leader, and lists the member', async () => {
    const granted = (await (await call('POST', '/api/v1/leases', JSON.stringify({ ttl: 30 }))).json()) as { id: number };
    expect((await (await call('POST', `/api/v1/leases/${granted.id}/keepalive`)).json())).toEqual({ id: granted.id, ttl: 30 });
    expect(((await (await call('GET', `/api/v1/leases/${granted.id}`)).json()) as { ttl: number }).ttl).toBeGreaterThan(25);
    expect((await call('DELETE', `/api/v1/leases/${granted.id}`)).status).toBe(204);
    expect(await (await call('GET', '/api/v1/cluster/members')).json()).toMatchObject({ members: [{ name: 'solo', isLearner: false }] });
    expect((await call('GET', '/readyz')).status).toBe(200);
  });

  it('streams watch events of applied writes', async () => {
    const controller = new AbortController();
    const response = await fetch(`${api.url}/api/v1/watch/live/`, { signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    await call('PUT', '/api/v1/keys/live/one', '1');
    let text = '';
    const deadline = setTimeout(() => controller.abort(), 5_000);
    try {
      while (!text.includes('live/one')) text += (await reader.read()).value ?? '';
    } finally {
      clearTimeout(deadline);
      controller.abort();
    }
    expect(text).toMatch(/id: \d+\.0\nevent: put\ndata: \{"type":"put","kv":\{"key":"live\/one","value":"1"/);
  });
});
