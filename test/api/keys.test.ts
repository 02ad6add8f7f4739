import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, errorCode, openApiFixture } from './api-fixture.js';

let api: ApiFixture;
beforeEach(async () => {
  api = await openApiFixture();
});
afterEach(async () => {
  await api.close();
});

const put = (key: string, payload: string | Buffer, headers: Record<string, string> = {}, query = '') =>
  api.request({ method: 'PUT', url: `/api/v1/keys/${key}${query}`, payload, headers: { 'content-type': 'text/plain', ...headers } });

describe('one key', () => {
  it('stores the raw body with its content type and returns both with the key metadata', async () => {
    const stored = await put('users/1', '{"name":"ada"}', { 'content-type': 'application/json', 'x-bvault-tag-owner': 'team%20a' });
    expect(stored.statusCode).toBe(200);
    expect(stored.headers.etag).toBe('"2"');
    const read = await api.request({ method: 'GET', url: '/api/v1/keys/users/1' });
    expect(read.statusCode).toBe(200);
    expect(read.body).toBe('{"name":"ada"}');
    expect(read.headers['content-type']).toBe('application/json');
    expect(read.headers).toMatchObject({ etag: '"2"', 'x-bvault-create-revision': '2', 'x-bvault-mod-revision': '2', 'x-bvault-version': '1', 'x-bvault-lease': '0', 'x-bvault-revision': '2', 'x-bvault-tag-owner': 'team%20a' });
    expect(Date.parse(read.headers['last-modified'] as string)).toBeGreaterThan(0);
  });

  it('keeps binary values byte for byte', async () => {
    const value = Buffer.from([0, 255, 1, 254, 10]);
    await put('bin', value, { 'content-type': 'application/octet-stream' });
    expect((await api.request({ method: 'GET', url: '/api/v1/keys/bin' })).rawPayload.equals(value)).toBe(true);
  });

  it('decodes percent-encoded keys, so %2F and / name the same key', async () => {
    await put('a%2Fb%20c', 'v');
    expect((await api.request({ method: 'GET', url: '/api/v1/keys/a/b c' })).body).toBe('v');
  });

  it('answers HEAD with the headers of GET and no body, and 404 for a missing key', async () => {
    await put('k', 'value');
    const head = await api.request({ method: 'HEAD', url: '/api/v1/keys/k' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers.etag).toBe('"2"');
    expect((await api.request({ method: 'HEAD', url: '/api/v1/keys/missing' })).statusCode).toBe(404);
    const missing = await api.request({ method: 'GET', url: '/api/v1/keys/missing' });
    expect([missing.statusCode, errorCode(missing)]).toEqual([404, 'API_KEY_NOT_FOUND']);
  });

  it('deletes with 204, 404 for a missing key without a new revision, and 200 with prev_kv', async () => {
    await put('k', 'v1');
    expect((await api.request({ method: 'DELETE', url: '/api/v1/keys/k' })).statusCode).toBe(204);
    const before = await api.fingerprint();
    expect((await api.request({ method: 'DELETE', url: '/api/v1/keys/k' })).statusCode).toBe(404);
    expect(await api.fingerprint()).toEqual(before);
    await put('k', 'v2');
    const deleted = await api.request({ method: 'DELETE', url: '/api/v1/keys/k?prev_kv' });
    expect(deleted.json()).toMatchObject({ deleted: 1, prevKv: { key: 'k', value: 'v2', encoding: 'utf8' } });
  });

  it('reads a historical revision, and answers 410 once it is compacted', async () => {
    await put('k', 'old');
    await put('k', 'new');
    expect((await api.request({ method: 'GET', url: '/api/v1/keys/k?revision=2' })).body).toBe('old');
    expect((await api.request({ method: 'GET', url: '/api/v1/keys/k?consistency=serializable' })).body).toBe('new');
    expect((await api.request({ method: 'POST', url: '/api/v1/admin/compact', payload: { revision: 3 } })).statusCode).toBe(200);
    const gone = await api.request({ method: 'GET', url: '/api/v1/keys/k?revision=2' });
    expect([gone.statusCode, errorCode(gone)]).toEqual([410, 'MVCC_COMPACTED']);
    const future = await api.request({ method: 'GET', url: '/api/v1/keys/k?revision=99' });
    expect([future.statusCode, errorCode(future)]).toEqual([400, 'MVCC_FUTURE_REV']);
  });

  it('serves the seed form: PUT /api/v1/kv/mykey with a quoted body and GET returns what was stored', async () => {
    const stored = await api.request({ method: 'PUT', url: '/api/v1/kv/mykey', payload: '"myvalue"', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(stored.statusCode).toBe(200);
    const read = await api.request({ method: 'GET', url: '/api/v1/kv/mykey' });
    expect(read.body).toBe('"myvalue"');
    expect((await api.request({ method: 'GET', url: '/api/v1/keys/mykey' })).body).toBe('"myvalue"');
  });

  it('stores a value sent as curl -d sends it (a form) with no content type', async () => {
    await put('from-curl', 'world', { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' });
    const read = await api.request({ method: 'GET', url: '/api/v1/keys/from-curl' });
    expect([read.body, read.headers['content-type']]).toEqual(['world', 'application/octet-stream']);
    const listed = await api.request({ method: 'GET', url: '/api/v1/keys?prefix=from-curl' });
    expect(listed.body).not.toContain('x-www-form-urlencoded');
  });
});

describe('leases on keys', () => {
  it('a ttl grants a lease and attaches it; the key is deleted once the lease expires', async () => {
    expect((await put('session', 'x', {}, '?ttl=1')).statusCode).toBe(200);
    const lease = Number((await api.request({ method: 'GET', url: '/api/v1/keys/session' })).headers['x-bvault-lease']);
    expect(lease).toBeGreaterThan(0);
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline && (await api.request({ method: 'GET', url: '/api/v1/keys/session' })).statusCode === 200) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await api.request({ method: 'GET', url: '/api/v1/keys/session' })).statusCode).toBe(404);
  });

  it('attaches an existing lease and refuses an unknown one with 404 and no change', async () => {
    const granted = (await api.request({ method: 'POST', url: '/api/v1/leases', payload: { ttl: 60 } })).json() as { id: number };
    expect((await put('k', 'v', {}, `?lease=${granted.id}`)).statusCode).toBe(200);
    expect((await api.request({ method: 'GET', url: '/api/v1/keys/k' })).headers['x-bvault-lease']).toBe(String(granted.id));
    const before = await api.fingerprint();
    const unknown = await put('k', 'w', {}, '?lease=999999');
    expect([unknown.statusCode, errorCode(unknown)]).toEqual([404, 'MVCC_LEASE_NOT_FOUND']);
    expect(await api.fingerprint()).toEqual(before);
  });
});

describe('optimistic concurrency', () => {
  it('If-Match writes only over the named ETag, atomically', async () => {
    const etag = (await put('k', 'v1')).headers.etag as string;
    expect((await put('k', 'v2', { 'if-match': etag })).statusCode).toBe(200);
    const before = await api.fingerprint();
    const stale = await put('k', 'v3', { 'if-match': etag });
    expect([stale.statusCode, errorCode(stale)]).toEqual([412, 'API_PRECONDITION_FAILED']);
    expect(stale.json().error.message).toContain('ETag "3"');
    expect(await api.fingerprint()).toEqual(before);
    expect((await api.request({ method: 'GET', url: '/api/v1/keys/k' })).body).toBe('v2');
  });

  it('If-None-Match: * creates only', async () => {
    expect((await put('k', 'first', { 'if-none-match': '*' })).statusCode).toBe(200);
    const again = await put('k', 'second', { 'if-none-match': '*' });
    expect(again.statusCode).toBe(412);
    expect((await api.request({ method: 'GET', url: '/api/v1/keys/k' })).body).toBe('first');
  });

  it('if_version_match compares the version, and DELETE honours If-Match', async () => {
    await put('k', 'v1');
    expect((await put('k', 'v2', {}, '?if_version_match=2')).statusCode).toBe(412);
    expect((await put('k', 'v2', {}, '?if_version_match=1')).statusCode).toBe(200);
    expect((await api.request({ method: 'DELETE', url: '/api/v1/keys/k', headers: { 'if-match': '"2"' } })).statusCode).toBe(412);
    expect((await api.request({ method: 'DELETE', url: '/api/v1/keys/k', headers: { 'if-match': '"3"' } })).statusCode).toBe(204);
  });

  it('a refused conditional write with a ttl leaves no lease behind', async () => {
    await put('k', 'v1');
    expect((await put('k', 'v2', { 'if-none-match': '*' }, '?ttl=60')).statusCode).toBe(412);
    expect((await api.request({ method: 'GET', url: '/api/v1/leases' })).json()).toEqual({ leases: [] });
  });

  it('GET with If-None-Match of the current ETag answers 304', async () => {
    const etag = (await put('k', 'v1')).headers.etag as string;
    expect((await api.request({ method: 'GET', url: '/api/v1/keys/k', headers: { 'if-none-match': etag } })).statusCode).toBe(304);
    expect((await api.request({ method: 'GET', url: '/api/v1/keys/k', headers: { 'if-none-match': '"1"' } })).statusCode).toBe(200);
  });
});

describe('bad input changes nothing and gets the right status', () => {
  it.each([
    ['an oversized key', () => put('k'.repeat(33), 'v'), 400, 'MVCC_KEY_TOO_LARGE'],
    ['an oversized value', () => put('k', 'v'.repeat(257)), 413, 'MVCC_VALUE_TOO_LARGE'],
    ['a body over the request limit', () => put('k', 'v'.repeat(2000)), 413, 'API_REQUEST_TOO_LARGE'],
    ['a negative ttl', () => put('k', 'v', {}, '?ttl=-5'), 400, 'API_INVALID_PARAMETER'],
    ['a fractional ttl', () => put('k', 'v', {}, '?ttl=1.5'), 400, 'API_INVALID_PARAMETER'],
    ['invalid percent-encoding in the key', () => put('bad%zzkey', 'v'), 400, 'API_INVALID_KEY_ENCODING'],
    ['an empty key', () => put('', 'v'), 400, 'MVCC_EMPTY_KEY'],
    ['a malformed If-Match', () => put('k', 'v', { 'if-match': 'nope' }), 400, 'API_INVALID_PARAMETER'],
  ] as const)('%s', async (_name, send, status, code) => {
    await put('k', 'original');
    const before = await api.fingerprint();
    const response = await send();
    expect([response.statusCode, errorCode(response)]).toEqual([status, code]);
    expect(response.headers['content-type']).toContain('application/json');
    expect(await api.fingerprint()).toEqual(before);
  });

  it('an unknown route is a JSON 404', async () => {
    const response = await api.request({ method: 'GET', url: '/api/v2/nothing' });
    expect([response.statusCode, errorCode(response)]).toEqual([404, 'API_ROUTE_NOT_FOUND']);
  });
});
