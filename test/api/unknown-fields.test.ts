// Every request type with a misspelled field: refused with 400 API_UNKNOWN_FIELD naming the
// field and the closest valid name, and nothing written. Before the schemas, these fields were
// dropped: `operation` for `operations` answered `succeeded: true` having written nothing, and a
// misspelled condition let the write through.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, openApiFixture } from './api-fixture.js';
import type { HttpMethod } from '../../src/api/http/route-catalogue.js';

let api: ApiFixture;
beforeEach(async () => {
  api = await openApiFixture();
  await api.request({ method: 'PUT', url: '/api/v1/keys/k', payload: 'v1', headers: { 'content-type': 'text/plain' } });
});
afterEach(async () => {
  await api.close();
});

interface Case {
  readonly method: HttpMethod;
  readonly url: string;
  readonly body?: unknown;
  /** The message names the field, where it is and what was meant. */
  readonly message: string;
}

const cases: Record<string, Case> = {
  'transaction, seeds form': {
    method: 'POST',
    url: '/api/v1/transaction',
    body: { operation: [{ type: 'PUT', key: 'k', value: 'v2' }] },
    message: 'unknown field "operation" in the request body; did you mean "operations"?',
  },
  'transaction condition': {
    method: 'POST',
    url: '/api/v1/transaction',
    body: { operations: [{ type: 'PUT', key: 'k', value: 'v2', condition: [{ if_version_match: 5 }] }] },
    message: 'unknown field "condition" in operations[0]; did you mean "conditions"?',
  },
  'transaction condition field': {
    method: 'POST',
    url: '/api/v1/transaction',
    body: { operations: [{ type: 'PUT', key: 'k', value: 'v2', conditions: [{ if_version_macth: 5 }] }] },
    message: 'unknown field "if_version_macth" in operations[0].conditions[0]; did you mean "if_version_match"?',
  },
  'transaction, etcd form': {
    method: 'POST',
    url: '/api/v1/transaction',
    body: { compare: [{ key: 'k', target: 'VERSION', version: 5 }], sucess: [{ put: { key: 'k', value: 'v2' } }] },
    message: 'unknown field "sucess" in the request body; did you mean "success"?',
  },
  'transaction compare operand': {
    method: 'POST',
    url: '/api/v1/transaction',
    body: { compare: [{ key: 'k', target: 'VERSION', versoin: 5 }], success: [{ put: { key: 'k', value: 'v2' } }] },
    message: 'unknown field "versoin" in compare[0]; did you mean "version"?',
  },
  'transaction put': {
    method: 'POST',
    url: '/api/v1/transaction',
    body: { success: [{ put: { key: 'k', vaule: 'v2' } }] },
    message: 'unknown field "vaule" in success[0].put; did you mean "value"?',
  },
  'batch put': { method: 'POST', url: '/api/v1/batch/put', body: { item: [{ key: 'k', value: 'v2' }] }, message: 'did you mean "items"?' },
  'batch put item': { method: 'POST', url: '/api/v1/batch/put', body: { items: [{ key: 'k', valeu: 'v2' }] }, message: 'unknown field "valeu" in items[0]; did you mean "value"?' },
  'batch get': { method: 'POST', url: '/api/v1/batch/get', body: { keys: ['k'], consistancy: 'serializable' }, message: 'did you mean "consistency"?' },
  'batch delete': { method: 'POST', url: '/api/v1/batch/delete', body: { key: ['k'] }, message: 'unknown field "key" in the request body; did you mean "keys"?' },
  'lease grant': { method: 'POST', url: '/api/v1/leases', body: { ttl: 30, ID: 7 }, message: 'did you mean "id"?' },
  'compaction': { method: 'POST', url: '/api/v1/admin/compact', body: { rev: 2 }, message: 'unknown field "rev" in the request body; the valid fields are "revision"' },
  'leadership transfer': { method: 'POST', url: '/api/v1/admin/transfer-leadership', body: { too: 'n1' }, message: 'did you mean "to"?' },
  'member add': { method: 'POST', url: '/api/v1/cluster/members', body: { name: 'n2', peerAdress: '127.0.0.1:7001' }, message: 'did you mean "peerAddress"?' },
  'member update': { method: 'PATCH', url: '/api/v1/cluster/members/n1', body: { peerAdress: '127.0.0.1:7001' }, message: 'did you mean "peerAddress"?' },
  'raft join': { method: 'POST', url: '/api/v1/raft/join', body: { NodeId: 'n2', RaftAddress: '127.0.0.1:7001' }, message: 'did you mean "NodeID"?' },
  'key put query': { method: 'PUT', url: '/api/v1/keys/k?if_version_macth=5', body: 'v2', message: 'unknown field "if_version_macth" in the query string; did you mean "if_version_match"?' },
  'key delete query': { method: 'DELETE', url: '/api/v1/keys/k?if_version_mach=5', message: 'did you mean "if_version_match"?' },
  'key get query': { method: 'GET', url: '/api/v1/keys/k?revison=1', message: 'did you mean "revision"?' },
  'list query': { method: 'GET', url: '/api/v1/keys?prefx=k', message: 'did you mean "prefix"?' },
  'watch query': { method: 'GET', url: '/api/v1/watch/k?start_revison=1', message: 'did you mean "start_revision"?' },
  'lease query': { method: 'GET', url: '/api/v1/leases/1?key=true', message: 'did you mean "keys"?' },
};

describe('a misspelled field is refused, naming it and the closest valid name', () => {
  it.each(Object.entries(cases))('%s', async (_name, { method, url, body, message }) => {
    const before = await api.fingerprint();
    const members = api.node.members();
    const payload = body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) };
    const response = await api.request({ method, url, ...payload });
    expect(response.statusCode).toBe(400);
    const { error } = response.json() as { error: { code: string; message: string } };
    expect(error.code).toBe('API_UNKNOWN_FIELD');
    expect(error.message).toContain(message);
    expect(await api.fingerprint()).toEqual(before);
    expect(api.node.members()).toEqual(members);
    expect(api.node.transferredTo).toBeUndefined();
    expect((await api.request({ method: 'GET', url: '/api/v1/keys/k' })).body).toBe('v1');
  });
});

describe('a route that takes no parameters or no body refuses them', () => {
  it('a query parameter on defragment, and HEAD with an unknown parameter', async () => {
    const refused = await api.request({ method: 'POST', url: '/api/v1/admin/defragment?member=n2' });
    expect(refused.json()).toEqual({ error: { code: 'API_UNKNOWN_FIELD', message: 'unknown field "member" in the query string; none are allowed here' } });
    expect(api.node.defragmentations).toBe(0);
    expect((await api.request({ method: 'HEAD', url: '/api/v1/keys/k?revison=1' })).statusCode).toBe(400);
  });

  it('a body on a member removal and a lease revocation', async () => {
    const members = api.node.members();
    const removal = await api.request({ method: 'DELETE', url: '/api/v1/cluster/members/n1', payload: { force: true } });
    expect(removal.json()).toMatchObject({ error: { code: 'API_INVALID_BODY', message: 'invalid request body: DELETE /api/v1/cluster/members/:member takes no body' } });
    expect(api.node.members()).toEqual(members);
    const granted = (await api.request({ method: 'POST', url: '/api/v1/leases', payload: { ttl: 30 } })).json() as { id: number };
    expect((await api.request({ method: 'DELETE', url: `/api/v1/leases/${granted.id}`, payload: 'x' })).statusCode).toBe(400);
    expect((await api.request({ method: 'GET', url: `/api/v1/leases/${granted.id}` })).statusCode).toBe(200);
  });
});

describe('what the unions refuse', () => {
  it('an operand that does not belong to the compare target', async () => {
    const response = await api.request({
      method: 'POST',
      url: '/api/v1/transaction',
      payload: { compare: [{ key: 'k', target: 'VERSION', modRevision: 99 }], success: [{ put: { key: 'k', value: 'v2' } }] },
    });
    expect(response.json()).toMatchObject({ error: { code: 'API_UNKNOWN_FIELD' } });
    expect((response.json() as { error: { message: string } }).error.message).toContain('unknown field "modRevision" in compare[0]');
  });

  it('a value on a seed DELETE, and two conditions in one', async () => {
    const onDelete = await api.request({ method: 'POST', url: '/api/v1/transaction', payload: { operations: [{ type: 'DELETE', key: 'k', value: 'x' }] } });
    expect((onDelete.json() as { error: { code: string } }).error.code).toBe('API_UNKNOWN_FIELD');
    const twoConditions = await api.request({
      method: 'POST',
      url: '/api/v1/transaction',
      payload: { operations: [{ type: 'PUT', key: 'k', value: 'v2', conditions: [{ if_version_match: 1, if_exists: false }] }] },
    });
    expect(twoConditions.json()).toMatchObject({ error: { code: 'API_INVALID_BODY' } });
    expect((await api.request({ method: 'GET', url: '/api/v1/keys/k' })).body).toBe('v1');
  });
});

describe('what a refusal of an invalid value says', () => {
  it.each([
    [{ operations: [{ type: 'PUT', key: 'k' }] }, 'invalid request body: operations[0].value: is required'],
    [{ operations: [{ type: 'put', key: 'k', value: 'v2' }] }, 'invalid request body: operations[0].type: must be PUT, GET or DELETE'],
    [{ compare: [{ key: 'k' }] }, 'invalid request body: compare[0].target: must be VERSION, CREATE, MOD, VALUE or LEASE'],
  ])('%j', async (body, message) => {
    const response = await api.request({ method: 'POST', url: '/api/v1/transaction', payload: body });
    expect(response.json()).toEqual({ error: { code: 'API_INVALID_BODY', message } });
  });
});
