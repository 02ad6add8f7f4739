// The audit log as a view of the node, over the single-store test double: one line per write,
// membership change and admin call, with the user the access beneath resolved; reads only when
// asked; refusals with their code; never a value or a password; rotation by size.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallerNode, CallOrigin, NodeAccess } from '../../src/access/node-access.js';
import { ApiError } from '../../src/api/errors.js';
import { AUDIT_TXN_KEYS_MAX, type AuditEntry } from '../../src/audit/audit-entry.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { AuditedAccess } from '../../src/audit/audited-access.js';
import type { WriteRequest } from '../../src/node/kv-node.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SingleStoreKvNode } from '../api/single-store-kv-node.js';
import { temporaryDirectory } from '../cluster/cluster-harness.js';

const ORIGIN: CallOrigin = { api: 'etcd', method: '/etcdserverpb.KV/Put', source: '127.0.0.1:5000' };
const KNOWN_VALUE = 'value-that-must-never-be-audited';
const KNOWN_PASSWORD = 'password-that-must-never-be-audited';
const KNOWN_TOKEN = 'token-that-must-never-be-audited';

/** What an auth-enabled access gives a caller: the node, as the user the credentials proved. */
class UserAccess implements NodeAccess {
  constructor(private readonly node: SingleStoreKvNode) {}

  async nodeFor(_origin: CallOrigin, credentials: { token?: string }): Promise<CallerNode> {
    if (credentials.token === 'expired') throw new ApiError('API_INVALID_CREDENTIALS', { name: 'the token', reason: 'expired' });
    return Object.assign(Object.create(this.node) as SingleStoreKvNode, { user: 'alice' });
  }
}

let node: SingleStoreKvNode;
let directory: string;
let log: AuditLog;

beforeEach(async () => {
  node = await SingleStoreKvNode.open();
  directory = await temporaryDirectory('audit-unit');
});

afterEach(async () => {
  await node.close();
});

async function openLog(maxBytes = 1024 * 1024, maxFiles = 2): Promise<AuditLog> {
  log = await AuditLog.open({ path: join(directory, 'logs', 'audit.log'), maxBytes, maxFiles }, silentLogger());
  return log;
}

async function lines(): Promise<AuditEntry[]> {
  await log.close();
  const text = await readFile(join(directory, 'logs', 'audit.log'), 'utf8');
  return text.trim().split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as AuditEntry);
}

describe('the audited view', () => {
  it('records every write by its type, with what it names, the user, the origin, the result and the revision', async () => {
    const access = new AuditedAccess(new UserAccess(node), await openLog(), { reads: false });
    const view = await access.nodeFor(ORIGIN, { token: KNOWN_TOKEN });
    expect(view.user).toBe('alice');
    await view.write({ type: 'put', put: { key: Buffer.from('a'), value: Buffer.from(KNOWN_VALUE) } });
    await view.write({ type: 'deleteRange', deleteRange: { key: Buffer.from('a'), rangeEnd: Buffer.from('b') } });
    const ops = Array.from({ length: AUDIT_TXN_KEYS_MAX + 2 }, (_unused, index) => ({ type: 'put' as const, put: { key: Buffer.from(`t${index}`), value: Buffer.from(KNOWN_VALUE) } }));
    await view.write({ type: 'txn', txn: { compare: [], success: ops.slice(0, 4), failure: [] } });
    const lease = await view.write({ type: 'leaseGrant', leaseGrant: { ttl: 60 } });
    const leaseId = lease.type === 'leaseGrant' ? lease.leaseGrant.id : 0;
    await view.write({ type: 'leaseRevoke', leaseRevoke: { id: leaseId } });
    await view.write({ type: 'put', put: { key: Buffer.from([0xff, 0xfe]), value: Buffer.from(KNOWN_VALUE) } });
    await view.write({ type: 'compaction', compaction: { revision: 2 } });
    await view.range({ key: Buffer.from('a') });
    const written = await lines();
    expect(written.map((line) => line.operation)).toEqual(['put', 'deleteRange', 'txn', 'leaseGrant', 'leaseRevoke', 'put', 'compaction']);
    expect(written[0]).toEqual({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), user: 'alice', source: '127.0.0.1:5000', api: 'etcd', method: '/etcdserverpb.KV/Put', operation: 'put', key: 'a', result: 'OK', revision: 2 });
    expect(written[1]).toMatchObject({ key: 'a', rangeEnd: 'b', result: 'OK', revision: 3 });
    expect(written[2]?.keys).toEqual([{ key: 't0' }, { key: 't1' }, { key: 't2' }, { key: 't3' }]);
    expect(written[4]).toMatchObject({ lease: leaseId });
    expect(written[5]?.key).toEqual({ base64: Buffer.from([0xff, 0xfe]).toString('base64') });
    expect(written[6]).toMatchObject({ compactRevision: 2 });
  });

  it('lists at most AUDIT_TXN_KEYS_MAX keys of a transaction and counts the rest', async () => {
    const access = new AuditedAccess(new UserAccess(node), await openLog(), { reads: false });
    const view = await access.nodeFor(ORIGIN, {});
    const success = Array.from({ length: AUDIT_TXN_KEYS_MAX + 3 }, (_unused, index) => ({ type: 'range' as const, range: { key: Buffer.from(`k${index}`) } }));
    await view.write({ type: 'txn', txn: { compare: [], success, failure: [] } }).catch(() => undefined);
    const [line] = await lines();
    expect(line?.keys).toHaveLength(AUDIT_TXN_KEYS_MAX);
    expect(line?.keysOmitted).toBe(3);
  });

  it('records a write type it does not know by its type alone, refusals with their code, and never a value or a password', async () => {
    const access = new AuditedAccess(new UserAccess(node), await openLog(), { reads: false });
    const view = await access.nodeFor(ORIGIN, {});
    // What the auth branch adds: requests of one type with an op each, which may carry secrets.
    const userAdd = { type: 'auth', auth: { op: 'userAdd', name: 'bob', password: KNOWN_PASSWORD } } as unknown as WriteRequest;
    // On the auth branch the state machine knows these requests; whether they apply does not matter here.
    await view.write(userAdd).catch(() => undefined);
    const oddOp = { type: 'auth', auth: { op: `${KNOWN_PASSWORD} not an identifier` } } as unknown as WriteRequest;
    await view.write(oddOp).catch(() => undefined);
    await expect(view.write({ type: 'leaseRevoke', leaseRevoke: { id: 424242 } })).rejects.toThrow();
    await expect(access.nodeFor(ORIGIN, { token: 'expired' })).rejects.toThrow('expired');
    await expect(access.nodeFor(ORIGIN, { password: { user: 'mallory', password: KNOWN_PASSWORD }, token: 'expired' })).rejects.toThrow();
    const written = await lines();
    expect(written[0]).toMatchObject({ operation: 'auth.userAdd', user: 'alice', result: expect.stringMatching(/^[A-Z_]+$/) });
    expect(Object.keys(written[0] ?? {})).not.toContain('auth');
    expect(written[1]).toMatchObject({ operation: 'auth' });
    expect(written[2]).toMatchObject({ operation: 'leaseRevoke', lease: 424242, result: 'MVCC_LEASE_NOT_FOUND' });
    expect(written[3]).toMatchObject({ operation: 'authenticate', user: null, result: 'API_INVALID_CREDENTIALS' });
    expect(written[4]).toMatchObject({ operation: 'authenticate', user: 'mallory', result: 'API_INVALID_CREDENTIALS' });
    const text = await readFile(join(directory, 'logs', 'audit.log'), 'utf8');
    for (const secret of [KNOWN_PASSWORD, KNOWN_TOKEN, KNOWN_VALUE, 'expired']) expect(text).not.toContain(secret);
  });

  it('records membership changes and admin calls, and reads only with reads on', async () => {
    const access = new AuditedAccess(new UserAccess(node), await openLog(), { reads: true });
    const view = await access.nodeFor({ ...ORIGIN, api: 'rest', method: 'GET /api/v1/keys/*' }, {});
    await view.write({ type: 'put', put: { key: Buffer.from('r'), value: Buffer.from(KNOWN_VALUE) } });
    await view.range({ key: Buffer.from('r') });
    view.watch({ key: Buffer.from('r') }).cancel();
    await view.status();
    const added = await view.addMember({ name: 'n9', peerAddress: '127.0.0.1:7999', learner: true });
    await view.promoteMember(added.id);
    await view.updateMember(added.id, '127.0.0.1:7998');
    await view.removeMember(added.id);
    await view.defragment();
    for await (const _chunk of view.backup()) {
      // Read to the end.
    }
    const written = await lines();
    expect(written.map((line) => [line.operation, line.result])).toEqual([
      ['put', 'OK'],
      ['range', 'OK'],
      ['watch', 'OK'],
      ['status', 'OK'],
      ['addMember', 'OK'],
      ['promoteMember', 'OK'],
      ['updateMember', 'OK'],
      ['removeMember', 'OK'],
      ['defragment', 'OK'],
      ['backup', 'OK'],
    ]);
    expect(written[4]).toMatchObject({ member: 'n9 127.0.0.1:7999', api: 'rest' });
    expect(written[6]).toMatchObject({ member: `${added.id} 127.0.0.1:7998` });
    expect(written[1]).toMatchObject({ key: 'r', revision: 2 });
  });
});

describe('the audit log file', () => {
  it('rotates by size, keeping audit-log-max-files rotated files beside the current one', async () => {
    const maxBytes = 4096;
    const access = new AuditedAccess(new UserAccess(node), await openLog(maxBytes, 2), { reads: false });
    const view = await access.nodeFor(ORIGIN, {});
    for (let index = 0; index < 200; index++) await view.write({ type: 'put', put: { key: Buffer.from(`key-${index}`), value: Buffer.from(KNOWN_VALUE) } });
    await log.close();
    const files = (await readdir(join(directory, 'logs'))).sort();
    expect(files).toEqual(['audit.log', 'audit.log.1', 'audit.log.2']);
    const newest = await readFile(join(directory, 'logs', 'audit.log.1'), 'utf8');
    // A file is rotated once a write takes it past the size: at most one line beyond it.
    expect(newest.length).toBeLessThan(maxBytes + 400);
    const last = (await readFile(join(directory, 'logs', 'audit.log'), 'utf8')).trim().split('\n').at(-1);
    expect(JSON.parse(last ?? '{}')).toMatchObject({ key: 'key-199' });
  });
});
