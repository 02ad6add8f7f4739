// The audit log of a real `bvault server`: etcdctl 3.4 and the REST API each make one kind of
// call after another, and the file holds one line for each (put, delete, txn, compact, lease
// grant and revoke, member add and remove, defragment, snapshot), rotated by size, with no
// value, token or password anywhere in it; reads appear only once audit-reads is on.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/audit-entry.js';
import { freePort, request, ServerProcess, temporaryDirectory, waitFor } from './cluster-harness.js';
import { etcdctlOk } from '../etcd-compat/etcdctl-runner.js';

const KNOWN_VALUE = 'audited-value-must-not-appear';
const KNOWN_TOKEN = 'audited-token-must-not-appear';
const KNOWN_PASSWORD = 'audited-password-must-not-appear';
const MAX_BYTES = 4096;
const MAX_FILES = 2;

let member: ServerProcess;
let auditDirectory: string;

function serverArgs(extra: readonly string[] = []): string[] {
  return ['--audit-log-path', join(auditDirectory, 'audit.log'), '--audit-log-max-bytes', String(MAX_BYTES), '--audit-log-max-files', String(MAX_FILES), ...extra];
}

beforeAll(async () => {
  const root = await temporaryDirectory('audit-log');
  auditDirectory = join(root, 'audit');
  member = new ServerProcess('n1', { http: await freePort(), raft: await freePort(), grpc: await freePort() }, join(root, 'n1'), serverArgs());
  member.start();
  await member.waitUntilReady();
}, 60_000);

afterAll(async () => {
  await member?.kill();
});

/** Every line of every audit file, oldest file first. */
async function auditLines(): Promise<AuditEntry[]> {
  const text = await auditText();
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as AuditEntry);
}

async function auditText(): Promise<string> {
  const files = (await readdir(auditDirectory)).sort((a, b) => b.localeCompare(a));
  const texts = await Promise.all(files.map((file) => readFile(join(auditDirectory, file), 'utf8')));
  return texts.join('');
}

/** The lines are written asynchronously: wait until the last call's line is there. */
async function linesUntil(operation: string, method: string): Promise<AuditEntry[]> {
  return waitFor(`an audit line for ${method}`, 10_000, async () => {
    const lines = await auditLines();
    return lines.some((line) => line.operation === operation && line.method === method) ? lines : undefined;
  });
}

describe('the audit log of a server', () => {
  it('has one line per kind of write, membership change and admin call, and no read', async () => {
    const endpoints = [member];
    await etcdctlOk(endpoints, ['put', 'audited/a', KNOWN_VALUE]);
    await etcdctlOk(endpoints, ['get', 'audited/a']);
    await etcdctlOk(endpoints, ['del', 'audited/a']);
    await etcdctlOk(endpoints, ['txn'], `value("audited/flag") = "x"\n\nput audited/t1 "${KNOWN_VALUE}"\n\nput audited/t2 "${KNOWN_VALUE}"\n\n`);
    const revision = (await member.status()).revision;
    await etcdctlOk(endpoints, ['compaction', String(revision)]);
    const lease = /^lease ([0-9a-f]+) granted/.exec(await etcdctlOk(endpoints, ['lease', 'grant', '60']))?.[1] ?? '';
    await etcdctlOk(endpoints, ['lease', 'revoke', lease]);
    const added = await etcdctlOk(endpoints, ['member', 'add', 'fourth', `--peer-urls=http://127.0.0.1:${await freePort()}`, '--learner']);
    const addedId = /Member\s+([0-9a-f]+) added/.exec(added)?.[1] ?? '';
    await etcdctlOk(endpoints, ['member', 'remove', addedId]);
    await etcdctlOk(endpoints, ['defrag']);
    await etcdctlOk(endpoints, ['snapshot', 'save', join(auditDirectory, '..', 'snapshot.db')]);
    const rest = await request(member.url, 'PUT', '/api/v1/keys/audited/rest', KNOWN_VALUE, { authorization: `Bearer ${KNOWN_TOKEN}` });
    expect(rest.status).toBe(200);
    const lines = await linesUntil('put', 'PUT /api/v1/keys/*');
    const seen = lines.filter((line) => line.operation !== 'authenticate').map((line) => `${line.api} ${line.method} ${line.operation} ${line.result}`);
    expect(seen).toEqual([
      'etcd /etcdserverpb.KV/Put put OK',
      'etcd /etcdserverpb.KV/DeleteRange deleteRange OK',
      'etcd /etcdserverpb.KV/Txn txn OK',
      'etcd /etcdserverpb.KV/Compact compaction OK',
      'etcd /etcdserverpb.Lease/LeaseGrant leaseGrant OK',
      'etcd /etcdserverpb.Lease/LeaseRevoke leaseRevoke OK',
      'etcd /etcdserverpb.Cluster/MemberAdd addMember OK',
      'etcd /etcdserverpb.Cluster/MemberRemove removeMember OK',
      'etcd /etcdserverpb.Maintenance/Defragment defragment OK',
      'etcd /etcdserverpb.Maintenance/Snapshot backup OK',
      'rest PUT /api/v1/keys/* put OK',
    ]);
    expect(lines[0]).toMatchObject({ user: null, source: expect.stringMatching(/^127\.0\.0\.1:\d+$/), key: 'audited/a', revision: expect.any(Number) });
    expect(lines[2]).toMatchObject({ keys: [{ key: 'audited/t1' }, { key: 'audited/t2' }] });
    expect(lines[3]).toMatchObject({ compactRevision: revision });
    expect(lines[5]).toMatchObject({ lease: Number.parseInt(lease, 16) });
    expect(lines[6]?.member).toMatch(/^member-127-0-0-1-\d+ 127\.0\.0\.1:\d+$/);
  }, 60_000);

  it('keeps no value, token or password, even of a refused basic-auth request', async () => {
    const refused = await request(member.url, 'GET', '/api/v1/keys/audited/rest', undefined, { authorization: `Basic ${Buffer.from(`root:${KNOWN_PASSWORD}`).toString('base64')}` });
    expect(refused.status).toBe(400);
    const text = await auditText();
    expect(text.length).toBeGreaterThan(0);
    for (const secret of [KNOWN_VALUE, KNOWN_TOKEN, KNOWN_PASSWORD]) expect(text).not.toContain(secret);
  });

  it('rotates the file past audit-log-max-bytes and keeps audit-log-max-files rotated files', async () => {
    for (let index = 0; index < 60; index++) expect((await request(member.url, 'PUT', `/api/v1/keys/audited/rotation/${index}`, 'v')).status).toBe(200);
    await linesUntil('put', 'PUT /api/v1/keys/*');
    const files = await waitFor('two rotated files', 10_000, async () => {
      const names = (await readdir(auditDirectory)).sort();
      return names.length === MAX_FILES + 1 ? names : undefined;
    });
    expect(files).toEqual(['audit.log', 'audit.log.1', 'audit.log.2']);
    for (const file of files.slice(1)) expect((await readFile(join(auditDirectory, file))).byteLength).toBeLessThan(MAX_BYTES + 1024);
  }, 60_000);

  it('records reads only once audit-reads is on', async () => {
    await etcdctlOk([member], ['get', 'audited/rest']);
    expect((await auditLines()).some((line) => line.operation === 'range')).toBe(false);
    await member.terminate();
    member.setArgs(serverArgs(['--audit-reads']));
    member.start();
    await member.waitUntilReady();
    await etcdctlOk([member], ['get', 'audited/rest']);
    const lines = await linesUntil('range', '/etcdserverpb.KV/Range');
    expect(lines.find((line) => line.operation === 'range')).toMatchObject({ key: 'audited/rest', result: 'OK' });
  }, 60_000);
});
