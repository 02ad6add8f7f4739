// The real etcdctl 3.4 against a 3-member Beaver-Vault cluster: keys, prefixes, a txn read from
// stdin, a watch from a past revision, leases, endpoint status and health, and snapshot save.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrapEtcdSnapshot } from '../../src/api/grpc/etcd/index.js';
import { SnapshotReader } from '../../src/mvcc/index.js';
import { TestCluster, waitFor } from '../cluster/cluster-harness.js';
import { parseEtcdJson } from './etcd-json.js';
import { etcdctl, etcdctlBackground, etcdctlOk, hexId } from './etcdctl-runner.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 3, prefix: 'etcdctl-kv' });
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

interface JsonHeader {
  readonly cluster_id: string;
  readonly member_id: string;
  readonly revision: number;
  readonly raft_term: number;
}

describe('etcdctl against Beaver-Vault', () => {
  it('puts, gets and deletes keys by prefix, and answers with etcd headers', async () => {
    const all = cluster.members;
    expect(await etcdctlOk(all, ['put', '/app/a', 'one'])).toBe('OK\n');
    expect(await etcdctlOk(all, ['put', '/app/b', 'two'])).toBe('OK\n');
    expect(await etcdctlOk(all, ['put', '/other', 'three'])).toBe('OK\n');
    expect(await etcdctlOk(all, ['get', '/app', '--prefix'])).toBe('/app/a\none\n/app/b\ntwo\n');
    expect(await etcdctlOk(all, ['get', '/app', '--prefix', '--keys-only'])).toBe('/app/a\n\n/app/b\n\n');

    const member = cluster.member('n2');
    const status = await member.status();
    const json = parseEtcdJson(await etcdctlOk([member], ['get', '/app/b', '-w', 'json'])) as { header: JsonHeader; kvs: { key: string; value: string; version: number }[]; count: number };
    expect(json.header.cluster_id).toBe(BigInt(`0x${status.clusterId}`).toString());
    expect(String(json.header.member_id)).toBe(String(status.id));
    expect(json.header.revision).toBe(status.revision);
    expect(json.header.raft_term).toBe(status.term);
    expect(json.count).toBe(1);
    expect(Buffer.from(json.kvs[0]?.value ?? '', 'base64').toString()).toBe('two');

    expect(await etcdctlOk(all, ['del', '/app', '--prefix'])).toBe('2\n');
    expect(await etcdctlOk(all, ['get', '/app', '--prefix'])).toBe('');
    expect(await etcdctlOk(all, ['get', '/other'])).toBe('/other\nthree\n');
  });

  it('serves range options: sort, limit, a past revision, serializable, from a key', async () => {
    const all = cluster.members;
    await etcdctlOk(all, ['put', '/sort/b', '2']);
    const afterFirst = (parseEtcdJson(await etcdctlOk(all, ['put', '/sort/a', '1', '-w', 'json'])) as { header: JsonHeader }).header.revision;
    await etcdctlOk(all, ['put', '/sort/c', '3']);
    await etcdctlOk(all, ['put', '/sort/a', '1-changed']);
    expect(await etcdctlOk(all, ['get', '/sort/', '--prefix', '--sort-by=MODIFY', '--order=DESCEND', '--keys-only'])).toBe('/sort/a\n\n/sort/c\n\n/sort/b\n\n');
    expect(await etcdctlOk(all, ['get', '/sort/', '--prefix', '--limit=2', '--print-value-only'])).toBe('1-changed\n2\n');
    expect(await etcdctlOk(all, ['get', '/sort/', '--prefix', `--rev=${afterFirst}`, '--print-value-only'])).toBe('1\n2\n');
    // etcdctl 3.4 has no --count-only; the etcd3 client's count() covers count_only.
    expect(await etcdctlOk(all, ['get', '/sort/', '--prefix', '--consistency=s', '--keys-only'])).toBe('/sort/a\n\n/sort/b\n\n/sort/c\n\n');
    expect(await etcdctlOk(all, ['get', '/sort/b', '--from-key', '--keys-only'])).toMatch(/^\/sort\/b\n\n\/sort\/c\n\n/);
  });

  it('runs a txn read from stdin: the success branch when the compare holds, the failure branch otherwise', async () => {
    const all = cluster.members;
    await etcdctlOk(all, ['put', '/txn/flag', 'on']);
    const txn = (expected: string): string => `value("/txn/flag") = "${expected}"\n\nput /txn/result "took-success"\nget /txn/flag\n\nput /txn/result "took-failure"\n\n`;
    expect(await etcdctlOk(all, ['txn'], txn('on'))).toBe('SUCCESS\n\nOK\n\n/txn/flag\non\n');
    expect(await etcdctlOk(all, ['get', '/txn/result', '--print-value-only'])).toBe('took-success\n');
    expect(await etcdctlOk(all, ['txn'], txn('off'))).toBe('FAILURE\n\nOK\n');
    expect(await etcdctlOk(all, ['get', '/txn/result', '--print-value-only'])).toBe('took-failure\n');
  });

  it('watches from a past revision and sees every later event in order', async () => {
    const all = cluster.members;
    await etcdctlOk(all, ['put', '/w/1', 'v1']);
    const start = (parseEtcdJson(await etcdctlOk(all, ['get', '/w/1', '-w', 'json'])) as { kvs: { mod_revision: number }[] }).kvs[0]?.mod_revision;
    await etcdctlOk(all, ['put', '/w/2', 'v2']);
    await etcdctlOk(all, ['del', '/w/1']);
    const watch = etcdctlBackground(all, ['watch', '/w/', '--prefix', `--rev=${start}`]);
    try {
      const expected = 'PUT\n/w/1\nv1\nPUT\n/w/2\nv2\nDELETE\n/w/1\n\n';
      await watch.waitForOutput((output) => output.length >= expected.length);
      await etcdctlOk(all, ['put', '/w/3', 'v3']);
      const output = await watch.waitForOutput((text) => text.includes('/w/3'));
      expect(output).toBe(`${expected}PUT\n/w/3\nv3\n`);
    } finally {
      watch.stop();
    }
  });

  it('grants, keeps alive, inspects and revokes a lease; its keys vanish with it', async () => {
    const all = cluster.members;
    const granted = /^lease ([0-9a-f]+) granted with TTL\(30s\)\n$/.exec(await etcdctlOk(all, ['lease', 'grant', '30']));
    expect(granted).not.toBeNull();
    const lease = granted?.[1] ?? '';
    await etcdctlOk(all, ['put', '/leased', 'x', `--lease=${lease}`]);
    expect(await etcdctlOk(all, ['lease', 'keep-alive', '--once', lease])).toBe(`lease ${lease} keepalived with TTL(30)\n`);
    expect(await etcdctlOk(all, ['lease', 'timetolive', lease, '--keys'])).toMatch(new RegExp(`^lease ${lease} granted with TTL\\(30s\\), remaining\\((29|30)s\\), attached keys\\(\\[/leased\\]\\)\\n$`));
    expect(await etcdctlOk(all, ['lease', 'list'])).toContain(lease);
    expect(await etcdctlOk(all, ['lease', 'revoke', lease])).toBe(`lease ${lease} revoked\n`);
    expect(await etcdctlOk(all, ['get', '/leased'])).toBe('');
    expect(await etcdctlOk(all, ['lease', 'timetolive', lease])).toBe(`lease ${lease} already expired\n`);
    const unknown = await etcdctl(all, ['lease', 'revoke', lease]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('etcdserver: requested lease not found');
  });

  it('reports every endpoint\'s status, one leader, and every endpoint healthy', async () => {
    const statuses = parseEtcdJson(await etcdctlOk(cluster.members, ['endpoint', 'status', '-w', 'json'])) as { Endpoint: string; Status: { header: JsonHeader; leader: string; raftTerm: number; version: string } }[];
    expect(statuses).toHaveLength(3);
    const leader = await cluster.leader();
    const leaderId = (await leader.status()).id;
    for (const { Status } of statuses) {
      expect(String(Status.leader)).toBe(String(leaderId));
      expect(Status.version).toBe('3.4.31');
    }
    expect(new Set(statuses.map(({ Status }) => Status.header.member_id)).size).toBe(3);
    const table = await etcdctlOk([leader], ['endpoint', 'status']);
    expect(table).toContain(`${hexId(leaderId)}, `);
    // etcdctl 3.4 prints health to stderr.
    const health = await etcdctl(cluster.members, ['endpoint', 'health']);
    expect(health.code).toBe(0);
    for (const member of cluster.members) expect(health.stderr).toContain(`127.0.0.1:${member.ports.grpc} is healthy: successfully committed proposal`);
  });

  it('compacts, defragments, lists no alarms and reports the same hash on every member', async () => {
    const all = cluster.members;
    await etcdctlOk(all, ['put', '/compact/key', 'old']);
    const revision = (parseEtcdJson(await etcdctlOk(all, ['put', '/compact/key', 'new', '-w', 'json'])) as { header: JsonHeader }).header.revision;
    expect(await etcdctlOk(all, ['compaction', String(revision), '--physical'])).toBe(`compacted revision ${revision}\n`);
    const compacted = await etcdctl(all, ['get', '/compact/key', `--rev=${revision - 1}`]);
    expect(compacted.code).not.toBe(0);
    expect(compacted.stderr).toContain('etcdserver: mvcc: required revision has been compacted');
    expect(await etcdctlOk(all, ['defrag'])).toMatch(/^(Finished defragmenting etcd member\[127\.0\.0\.1:\d+\]\n){3}$/);
    expect(await etcdctlOk(all, ['alarm', 'list'])).toBe('');
    await waitFor('every member to apply the last write', 10_000, async () => {
      const revisions = await Promise.all(all.map(async (member) => (await member.status()).appliedIndex));
      return new Set(revisions).size === 1 ? true : undefined;
    });
    const hashes = parseEtcdJson(await etcdctlOk(all, ['endpoint', 'hashkv', '-w', 'json'])) as { HashKV: { hash: number; compact_revision: number } }[];
    expect(hashes).toHaveLength(3);
    expect(new Set(hashes.map(({ HashKV }) => HashKV.hash)).size).toBe(1);
    expect(hashes.every(({ HashKV }) => HashKV.compact_revision === revision)).toBe(true);
  });

  it('saves a snapshot shaped as etcd\'s (a SHA-256 after 512-byte blocks) around a complete Beaver-Vault backup', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'etcdctl-snapshot-'));
    try {
      const path = join(directory, 'backup.db');
      const output = await etcdctlOk([cluster.member('n1')], ['snapshot', 'save', path]);
      expect(output).toContain(`Snapshot saved at ${path}`);
      const saved = await readFile(path);
      expect(saved.byteLength % 512).toBe(32);
      const reader = new SnapshotReader();
      reader.push(unwrapEtcdSnapshot(saved));
      expect(reader.finish()).toBeGreaterThan(0);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
