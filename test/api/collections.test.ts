import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, errorCode, openApiFixture } from './api-fixture.js';

let api: ApiFixture;
beforeEach(async () => {
  api = await openApiFixture();
});
afterEach(async () => {
  await api.close();
});

const post = (url: string, payload: unknown) => api.request({ method: 'POST', url, payload: payload as object });
const putKey = (key: string, value: string) => api.request({ method: 'PUT', url: `/api/v1/keys/${key}`, payload: value, headers: { 'content-type': 'text/plain' } });

interface ListPage {
  revision: number;
  items: { key: string; value?: string }[];
  nextCursor: string | null;
}

describe('listing by prefix', () => {
  it('pages through more than one page at the revision of the first page', async () => {
    for (let index = 0; index < 25; index++) await putKey(`list/${String(index).padStart(2, '0')}`, `v${index}`);
    await putKey('other', 'x');
    const keys: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    let pinned: number | undefined;
    while (cursor !== null) {
      const response = await api.request({ method: 'GET', url: `/api/v1/keys?prefix=list/&limit=10&cursor=${cursor}` });
      expect(response.statusCode).toBe(200);
      const page = response.json() as ListPage;
      pinned ??= page.revision;
      expect(page.revision).toBe(pinned);
      keys.push(...page.items.map((item) => item.key));
      cursor = page.nextCursor;
      // Writes after the first page are not part of this listing.
      if (pages++ === 0) await putKey('list/99', 'late');
    }
    expect(pages).toBe(3);
    expect(keys).toEqual(Array.from({ length: 25 }, (_unused, index) => `list/${String(index).padStart(2, '0')}`));
  });

  it('returns values with their encoding, or keys only', async () => {
    await putKey('p/text', 'hello');
    await api.request({ method: 'PUT', url: '/api/v1/keys/p/bin', payload: Buffer.from([0xff, 0xfe]), headers: { 'content-type': 'application/octet-stream' } });
    const page = (await api.request({ method: 'GET', url: '/api/v1/keys?prefix=p/' })).json() as { items: object[] };
    expect(page.items).toMatchObject([
      { key: 'p/bin', value: '//4=', encoding: 'base64', contentType: 'application/octet-stream', version: 1 },
      { key: 'p/text', value: 'hello', encoding: 'utf8', contentType: 'text/plain' },
    ]);
    const keysOnly = (await api.request({ method: 'GET', url: '/api/v1/keys?prefix=p/&keys_only=true' })).json() as ListPage;
    expect(keysOnly.items.map((item) => item.value)).toEqual([undefined, undefined]);
  });

  it('refuses a limit over the page maximum and a forged cursor', async () => {
    expect(errorCode(await api.request({ method: 'GET', url: '/api/v1/keys?limit=11' }))).toBe('API_INVALID_PARAMETER');
    expect(errorCode(await api.request({ method: 'GET', url: '/api/v1/keys?cursor=%%%' }))).toBe('API_INVALID_PARAMETER');
    const otherPrefix = Buffer.concat([Buffer.alloc(6), Buffer.from('zzz')]).toString('base64url');
    expect(errorCode(await api.request({ method: 'GET', url: `/api/v1/keys?prefix=a&cursor=${otherPrefix}` }))).toBe('API_INVALID_PARAMETER');
  });
});

describe('batches', () => {
  it('puts a batch atomically under one revision, reads and deletes it', async () => {
    const stored = await post('/api/v1/batch/put', { items: [{ key: 'a', value: '1' }, { key: 'b', value: { base64: '/wA=' } }] });
    expect(stored.json()).toEqual({ revision: 2, count: 2 });
    const read = (await post('/api/v1/batch/get', { keys: ['a', 'missing', 'b'] })).json() as { revision: number; items: unknown[] };
    expect(read.revision).toBe(2);
    expect(read.items).toMatchObject([{ key: 'a', value: '1', modRevision: 2 }, null, { key: 'b', value: '/wA=', encoding: 'base64', modRevision: 2 }]);
    expect((await post('/api/v1/batch/delete', { keys: ['a', 'b', 'missing'] })).json()).toEqual({ revision: 3, deleted: 2 });
  });

  it('a batch put with a ttl attaches one lease to every item', async () => {
    await post('/api/v1/batch/put', { items: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }], ttl: 60 });
    const items = ((await post('/api/v1/batch/get', { keys: ['a', 'b'] })).json() as { items: { lease: number }[] }).items;
    expect(items[0]?.lease).toBeGreaterThan(0);
    expect(items[1]?.lease).toBe(items[0]?.lease);
  });

  it('refuses a batch over the operation limit, duplicate keys, and an invalid item, changing nothing', async () => {
    await putKey('a', 'original');
    const before = await api.fingerprint();
    const tooMany = await post('/api/v1/batch/put', { items: ['a', 'b', 'c', 'd', 'e'].map((key) => ({ key, value: 'v' })) });
    expect([tooMany.statusCode, errorCode(tooMany)]).toEqual([400, 'MVCC_TOO_MANY_TXN_OPS']);
    const duplicate = await post('/api/v1/batch/put', { items: [{ key: 'a', value: '1' }, { key: 'a', value: '2' }] });
    expect([duplicate.statusCode, errorCode(duplicate)]).toEqual([400, 'MVCC_DUPLICATE_KEY_IN_TXN']);
    const invalid = await post('/api/v1/batch/put', { items: [{ key: 'a', value: 1 }] });
    expect([invalid.statusCode, errorCode(invalid)]).toEqual([400, 'API_INVALID_BODY']);
    const badBase64 = await post('/api/v1/batch/put', { items: [{ key: 'a', value: { base64: '!!' } }] });
    expect(errorCode(badBase64)).toBe('API_INVALID_BODY');
    expect(errorCode(await post('/api/v1/batch/get', { keys: ['a', 'b', 'c', 'd', 'e'] }))).toBe('MVCC_TOO_MANY_TXN_OPS');
    expect(await api.fingerprint()).toEqual(before);
  });

  it('answers malformed JSON with 400 and changes nothing', async () => {
    const before = await api.fingerprint();
    const response = await api.request({ method: 'POST', url: '/api/v1/batch/put', payload: '{"items": [', headers: { 'content-type': 'application/json' } });
    expect([response.statusCode, errorCode(response)]).toEqual([400, 'API_MALFORMED_JSON']);
    expect(await api.fingerprint()).toEqual(before);
  });
});

describe('transactions', () => {
  it('runs the etcd form: compares choose the branch, and both answers are 200', async () => {
    await putKey('counter', '1');
    const txn = (compareVersion: number) =>
      post('/api/v1/transaction', {
        compare: [{ key: 'counter', target: 'VERSION', result: 'EQUAL', version: compareVersion }],
        success: [{ put: { key: 'counter', value: '2', prevKv: true } }, { range: { key: 'counter' } }],
        failure: [{ range: { key: 'counter' } }],
      });
    const failed = await txn(5);
    expect(failed.statusCode).toBe(200);
    expect(failed.json()).toMatchObject({ succeeded: false, revision: 2, responses: [{ range: { kvs: [{ key: 'counter', value: '1' }], count: 1 } }] });
    const succeeded = (await txn(1)).json();
    expect(succeeded).toMatchObject({ succeeded: true, revision: 3, responses: [{ put: { prevKv: { value: '1' } } }, { range: { kvs: [{ value: '2' }] } }] });
  });

  it('runs the seed form atomically with if_version_match and ttl_seconds', async () => {
    await putKey('user:123:profile', 'v1');
    await putKey('user:123:temp_data', 'tmp');
    const operations = (version: number) => [
      { type: 'PUT', key: 'user:123:profile', value: '{"name":"John Doe"}', conditions: [{ if_version_match: version }] },
      { type: 'DELETE', key: 'user:123:temp_data' },
      { type: 'PUT', key: 'user:123:last_login', value: '2024-01-15T10:30:00Z', ttl_seconds: 86400 },
    ];
    const before = await api.fingerprint();
    const refused = await post('/api/v1/transaction', { operations: operations(5) });
    expect([refused.statusCode, errorCode(refused)]).toEqual([412, 'API_PRECONDITION_FAILED']);
    expect(await api.fingerprint()).toEqual(before);
    const done = await post('/api/v1/transaction', { operations: operations(1) });
    expect(done.json()).toMatchObject({ succeeded: true, revision: 4 });
    expect((await api.request({ method: 'GET', url: '/api/v1/keys/user:123:temp_data' })).statusCode).toBe(404);
    expect(Number((await api.request({ method: 'GET', url: '/api/v1/keys/user:123:last_login' })).headers['x-bvault-lease'])).toBeGreaterThan(0);
  });

  it('takes the conditions the native API takes: if_value_match and if_not_exists', async () => {
    await putKey('guarded', 'v1');
    const write = (condition: object) => post('/api/v1/transaction', { operations: [{ type: 'PUT', key: 'guarded', value: 'v2', conditions: [condition] }] });
    expect((await write({ if_not_exists: true })).statusCode).toBe(412);
    expect((await write({ if_value_match: 'other' })).statusCode).toBe(412);
    expect((await write({ if_value_match: 'v1' })).json()).toMatchObject({ succeeded: true });
    expect((await api.request({ method: 'GET', url: '/api/v1/keys/guarded' })).body).toBe('v2');
  });

  it('refuses a transaction over the limit and an unknown target, changing nothing', async () => {
    const before = await api.fingerprint();
    const tooMany = await post('/api/v1/transaction', { success: ['a', 'b', 'c', 'd', 'e'].map((key) => ({ put: { key, value: 'v' } })) });
    expect([tooMany.statusCode, errorCode(tooMany)]).toEqual([400, 'MVCC_TOO_MANY_TXN_OPS']);
    const unknownTarget = await post('/api/v1/transaction', { compare: [{ key: 'a', target: 'COLOUR' }] });
    expect([unknownTarget.statusCode, errorCode(unknownTarget)]).toEqual([400, 'API_INVALID_BODY']);
    const seedTooMany = await post('/api/v1/transaction', { operations: ['a', 'b', 'c', 'd', 'e'].map((key) => ({ type: 'PUT', key, value: 'v' })) });
    expect(errorCode(seedTooMany)).toBe('MVCC_TOO_MANY_TXN_OPS');
    expect(await api.fingerprint()).toEqual(before);
  });
});
