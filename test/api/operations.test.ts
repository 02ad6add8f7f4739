import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlarmAction, AlarmType } from '../../src/mvcc/index.js';
import { type ApiFixture, errorCode, openApiFixture } from './api-fixture.js';

let api: ApiFixture;
beforeEach(async () => {
  api = await openApiFixture();
});
afterEach(async () => {
  await api.close();
});

const post = (url: string, payload?: unknown) => api.request({ method: 'POST', url, ...(payload === undefined ? {} : { payload: payload as object }) });
const putKey = (key: string, value: string, query = '') => api.request({ method: 'PUT', url: `/api/v1/keys/${key}${query}`, payload: value, headers: { 'content-type': 'text/plain' } });

describe('leases', () => {
  it('grants, lists, keeps alive, reports keys and revokes (deleting its keys)', async () => {
    const granted = await post('/api/v1/leases', { ttl: 30 });
    expect(granted.statusCode).toBe(201);
    const { id } = granted.json() as { id: number; ttl: number };
    await putKey('held', 'x', `?lease=${id}`);
    expect((await api.request({ method: 'GET', url: '/api/v1/leases' })).json()).toMatchObject({ leases: [{ id, ttl: 30 }] });
    expect((await post(`/api/v1/leases/${id}/keepalive`)).json()).toEqual({ id, ttl: 30 });
    const live = (await api.request({ method: 'GET', url: `/api/v1/leases/${id}?keys=true` })).json() as { ttl: number; keys: string[] };
    expect(live.keys).toEqual(['held']);
    expect(live.ttl).toBeGreaterThan(28);
    expect((await api.request({ method: 'DELETE', url: `/api/v1/leases/${id}` })).statusCode).toBe(204);
    expect((await api.request({ method: 'GET', url: '/api/v1/keys/held' })).statusCode).toBe(404);
    const gone = await api.request({ method: 'GET', url: `/api/v1/leases/${id}` });
    expect([gone.statusCode, errorCode(gone)]).toEqual([404, 'MVCC_LEASE_NOT_FOUND']);
  });

  it('refuses a negative ttl, a missing ttl and a malformed id', async () => {
    expect(errorCode(await post('/api/v1/leases', { ttl: -1 }))).toBe('API_INVALID_BODY');
    expect(errorCode(await post('/api/v1/leases', {}))).toBe('API_INVALID_BODY');
    expect(errorCode(await post('/api/v1/leases/abc/keepalive'))).toBe('API_INVALID_PARAMETER');
    expect((await api.request({ method: 'GET', url: '/api/v1/leases' })).json()).toEqual({ leases: [] });
  });
});

describe('quota and alarms', () => {
  it('with NOSPACE raised, writes answer 507 while reads work; disarming clears it', async () => {
    await putKey('k', 'before');
    await api.node.write({ type: 'alarm', alarm: { action: AlarmAction.Activate, memberId: 1, alarm: AlarmType.NoSpace } });
    const refused = await putKey('k', 'after');
    expect([refused.statusCode, errorCode(refused)]).toEqual([507, 'MVCC_NOSPACE']);
    expect((await api.request({ method: 'GET', url: '/api/v1/keys/k' })).body).toBe('before');
    expect((await api.request({ method: 'GET', url: '/api/v1/admin/alarms' })).json()).toEqual({ alarms: [{ memberId: 1, alarm: AlarmType.NoSpace }] });
    expect((await post('/api/v1/admin/defragment')).statusCode).toBe(200);
    expect(api.node.defragmentations).toBe(1);
    expect((await post('/api/v1/admin/alarms/disarm')).json()).toMatchObject({ alarms: [] });
    expect((await putKey('k', 'after')).statusCode).toBe(200);
  });
});

/** An error shaped as the node's registry makes them: a stable code and its message. */
const nodeError = (code: string, message: string): Error & { code: string } => Object.assign(new Error(message), { code });

describe('node failures', () => {
  it.each([
    [nodeError('NODE_NO_LEADER', 'no leader is known; retry once a leader is elected'), 503, '1'],
    [nodeError('NODE_TIMEOUT', 'no answer within 5000 ms; the write may still commit'), 503, '1'],
    [nodeError('NODE_LEADERSHIP_LOST', 'leadership changed while the request was pending; the write may still commit'), 503, '1'],
  ])('%s answers %i with Retry-After', async (error, status, retryAfter) => {
    api.node.failWritesWith = error;
    const response = await putKey('k', 'v');
    expect(response.statusCode).toBe(status);
    expect(response.headers['retry-after']).toBe(retryAfter);
    expect(response.json()).toEqual({ error: { code: error.code, message: error.message } });
  });

  it('an unexpected error is a JSON 500 without Retry-After', async () => {
    api.node.failWritesWith = new Error('disk on fire');
    const response = await putKey('k', 'v');
    expect([response.statusCode, errorCode(response), response.headers['retry-after']]).toEqual([500, 'API_INTERNAL', undefined]);
  });
});

describe('admin', () => {
  it('reports the node status', async () => {
    await putKey('k', 'v');
    expect((await api.request({ method: 'GET', url: '/api/v1/admin/status' })).json()).toMatchObject({ name: 'n1', clusterId: '00000000000000aa', revision: 2 });
  });

  it('compacts history and refuses a future revision', async () => {
    await putKey('k', '1');
    await putKey('k', '2');
    expect((await post('/api/v1/admin/compact', { revision: 3 })).json()).toEqual({ revision: 3, compactRevision: 3 });
    expect(errorCode(await post('/api/v1/admin/compact', { revision: 50 }))).toBe('MVCC_FUTURE_REV');
    expect(errorCode(await post('/api/v1/admin/compact', {}))).toBe('API_INVALID_BODY');
  });

  it('transfers leadership to a named member or to any voter', async () => {
    expect((await post('/api/v1/admin/transfer-leadership', { to: 'n1' })).statusCode).toBe(200);
    expect(api.node.transferredTo).toBe(1);
    await post('/api/v1/admin/transfer-leadership');
    expect(api.node.transferredTo).toBeNull();
    expect(errorCode(await post('/api/v1/admin/transfer-leadership', { to: 'nobody' }))).toBe('API_MEMBER_NOT_FOUND');
  });
});

describe('members', () => {
  it('lists, adds a learner, promotes it, gives it a new peer address and removes it', async () => {
    const added = await post('/api/v1/cluster/members', { name: 'n2', peerAddress: '127.0.0.1:7001', clientUrls: ['http://127.0.0.1:8001'] });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ member: { name: 'n2', isLearner: true, clientUrls: ['http://127.0.0.1:8001'] }, clusterId: '00000000000000aa' });
    expect((await post('/api/v1/cluster/members/n2/promote')).json()).toMatchObject({ members: [{ name: 'n1' }, { name: 'n2', isLearner: false }] });
    const id = (added.json() as { member: { id: number } }).member.id;
    const moved = await api.request({ method: 'PATCH', url: '/api/v1/cluster/members/n2', payload: { peerAddress: '127.0.0.1:7002' } });
    expect(moved.json()).toMatchObject({ members: [{ name: 'n1' }, { name: 'n2', peerAddress: '127.0.0.1:7002' }] });
    expect(errorCode(await api.request({ method: 'PATCH', url: '/api/v1/cluster/members/n2', payload: {} }))).toBe('API_INVALID_BODY');
    expect(errorCode(await api.request({ method: 'PATCH', url: '/api/v1/cluster/members/nobody', payload: { peerAddress: '127.0.0.1:7003' } }))).toBe('API_MEMBER_NOT_FOUND');
    expect((await api.request({ method: 'DELETE', url: `/api/v1/cluster/members/${id}` })).json()).toMatchObject({ members: [{ name: 'n1' }] });
    expect((await api.request({ method: 'DELETE', url: `/api/v1/cluster/members/${id}` })).statusCode).toBe(404);
  });

  it('serves the seed form POST /api/v1/raft/join as adding a learner', async () => {
    const joined = await api.request({ method: 'POST', url: '/api/v1/raft/join', payload: '{"NodeID": "node2", "RaftAddress": "localhost:7001"}', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(joined.statusCode).toBe(200);
    expect(joined.json()).toMatchObject({ member: { name: 'node2', peerAddress: 'localhost:7001', isLearner: true } });
    expect(errorCode(await post('/api/v1/raft/join', { NodeID: 'node3' }))).toBe('API_INVALID_BODY');
  });
});

describe('probes and metrics', () => {
  it('/healthz is 200; /readyz follows the node readiness with 503 and Retry-After', async () => {
    expect((await api.request({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await api.request({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    api.node.readiness_ = { ready: false, reason: 'no leader is known' };
    const notReady = await api.request({ method: 'GET', url: '/readyz' });
    expect([notReady.statusCode, notReady.headers['retry-after'], errorCode(notReady)]).toEqual([503, '1', 'API_NOT_READY']);
    expect(notReady.json().error.message).toContain('no leader is known');
  });

  it('/metrics holds the request latency histogram by route and method', async () => {
    await putKey('k', 'v');
    await api.request({ method: 'GET', url: '/api/v1/keys/k' });
    const text = (await api.request({ method: 'GET', url: '/metrics' })).body;
    expect(text).toContain('# TYPE bvault_http_request_duration_seconds histogram');
    expect(text).toMatch(/bvault_http_request_duration_seconds_count\{method="PUT",route="\/api\/v1\/keys\/\*",status_code="200"\} 1/);
    expect(text).toMatch(/bvault_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/v1\/keys\/\*",status_code="200"\}/);
    expect(text).toContain('bvault_http_watch_streams 0');
  });
});
