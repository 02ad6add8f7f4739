// The client library against a real three-member cluster: every call once, with the answers
// checked, plus a deadline that fires and a write refused without a retry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeaverVaultError} from '../../src/client/index.js';
import { type BeaverVaultClient, compare, connect, op } from '../../src/client/index.js';
import { request, TestCluster, waitFor } from '../cluster/cluster-harness.js';
import { grpcEndpoint } from './grpc-endpoints.js';


let cluster: TestCluster;
let client: BeaverVaultClient;

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 3, prefix: 'client-calls' });
  client = connect({ endpoints: cluster.members.map(grpcEndpoint), requestTimeoutMs: 8_000 });
}, 60_000);

afterAll(async () => {
  client?.close();
  await cluster?.destroy();
});

describe('the client library on a three-member cluster', () => {
  it('puts, gets and deletes a key, and a missing key reads as undefined', async () => {
    const put = await client.put('calls/a', 'one', { contentType: 'text/plain', tags: { owner: 'test' } });
    const kv = await client.get('calls/a');
    expect(kv?.value.toString()).toBe('one');
    expect(kv).toMatchObject({ modRevision: put.revision, version: 1, contentType: 'text/plain', tags: { owner: 'test' } });
    const second = await client.put('calls/a', 'two', { prevKv: true });
    expect(second.prevKv?.value.toString()).toBe('one');
    expect((await client.get('calls/a', { revision: put.revision }))?.value.toString()).toBe('one');
    expect((await client.get('calls/a', { consistency: 'serializable' }))?.version).toBeGreaterThanOrEqual(1);
    const deleted = await client.delete('calls/a', { prevKv: true });
    expect(deleted.deleted).toBe(1);
    expect(deleted.prevKvs[0]?.value.toString()).toBe('two');
    expect(await client.get('calls/a')).toBeUndefined();
  });

  it('a put whose version condition does not hold changes nothing and says so', async () => {
    await client.put('calls/guarded', 'v1');
    await expect(client.put('calls/guarded', 'v2', { conditions: [{ ifVersionMatch: 5 }] })).rejects.toMatchObject({ code: 'API_PRECONDITION_FAILED', retryable: false, mayHaveCommitted: false });
    await client.put('calls/guarded', 'v2', { conditions: [{ ifVersionMatch: 1 }] });
    expect((await client.get('calls/guarded'))?.value.toString()).toBe('v2');
  });

  it('lists a prefix page by page at one revision, and batch puts and gets', async () => {
    const batch = await client.batchPut(Array.from({ length: 7 }, (_unused, index) => ({ key: `list/${index}`, value: `value-${index}` })));
    expect(batch.count).toBe(7);
    const pages = [];
    for await (const page of client.listPages('list/', { limit: 3 })) pages.push(page);
    expect(pages.map((page) => page.kvs.length)).toEqual([3, 3, 1]);
    expect(new Set(pages.map((page) => page.revision)).size).toBe(1);
    expect(pages.flatMap((page) => page.kvs.map((kv) => kv.key.toString()))).toEqual(Array.from({ length: 7 }, (_unused, index) => `list/${index}`));
    const got = await client.batchGet(['list/2', 'list/missing', 'list/6']);
    expect(got.results.map((result) => result.kv?.value.toString())).toEqual(['value-2', undefined, 'value-6']);
    expect((await client.delete('list/', { prefix: true })).deleted).toBe(7);
  });

  it('runs an etcd-style txn: the then branch when the compare holds, the else branch when not', async () => {
    await client.put('txn/a', '1');
    const taken = await client.txn().if(compare.value('txn/a', '=', '1')).then(op.put('txn/a', '2'), op.get('txn/a')).else(op.get('txn/a')).commit();
    expect(taken.succeeded).toBe(true);
    expect(taken.results[1]).toMatchObject({ type: 'get', count: 1 });
    const other = await client.txn().if(compare.version('txn/a', '=', 1)).then(op.delete('txn/a')).else(op.get('txn/a')).commit();
    expect(other.succeeded).toBe(false);
    expect(other.results[0]?.type === 'get' && other.results[0].kvs[0]?.value.toString()).toBe('2');
  });

  it("runs the seeds' transaction form with if_version_match and ttl_seconds", async () => {
    await client.put('user:123:profile', 'v', {});
    const version = (await client.get('user:123:profile'))?.version ?? 0;
    const refused = await client.transaction([{ type: 'put', key: 'user:123:profile', value: 'x', conditions: [{ ifVersionMatch: version + 1 }] }]);
    expect(refused.succeeded).toBe(false);
    const applied = await client.transaction([
      { type: 'put', key: 'user:123:profile', value: '{"name":"John"}', conditions: [{ ifVersionMatch: version }] },
      { type: 'delete', key: 'user:123:temp_data' },
      { type: 'put', key: 'user:123:last_login', value: '2024-01-15T10:30:00Z', ttlSeconds: 86_400 },
    ]);
    expect(applied.succeeded).toBe(true);
    expect((await client.get('user:123:last_login'))?.lease).not.toBe(0n);
  });

  it('a txn that writes one key twice is refused and changes nothing', async () => {
    const before = (await client.admin.status()).header.revision;
    await expect(client.txn().then(op.put('dup', 'a'), op.put('dup', 'b')).commit()).rejects.toMatchObject({ code: 'MVCC_DUPLICATE_KEY_IN_TXN', retryable: false });
    expect((await client.admin.status()).header.revision).toBe(before);
  });

  it('grants a lease that keep-alive holds past its TTL, and revoking it deletes its keys', async () => {
    const lease = await client.leases.grant(2);
    const renewals: number[] = [];
    lease.on('keepAlive', (ttlSeconds) => renewals.push(ttlSeconds));
    await client.put('leased', 'x', { lease: lease.id });
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(renewals.length).toBeGreaterThanOrEqual(2);
    expect((await client.get('leased'))?.lease).toBe(lease.id);
    const ttl = await client.leases.timeToLive(lease.id, { keys: true });
    expect(ttl.grantedTtlSeconds).toBe(2);
    expect(ttl.keys.map((key) => key.toString())).toEqual(['leased']);
    expect((await client.leases.list()).map((listed) => listed.id)).toContain(lease.id);
    await lease.revoke();
    expect(await client.get('leased')).toBeUndefined();
    await expect(client.leases.revoke(lease.id)).rejects.toMatchObject({ code: 'MVCC_LEASE_NOT_FOUND' });
  });

  it('reports a lease lost when it no longer exists', async () => {
    const lease = await client.leases.grant(3);
    const lost = new Promise<BeaverVaultError>((resolve) => lease.once('lost', resolve));
    await client.leases.revoke(lease.id);
    expect((await lost).code).toBe('MVCC_LEASE_NOT_FOUND');
  });

  it('lists members and reports status with the leader, then moves the leadership', async () => {
    const members = await client.members.list();
    expect(members.map((member) => member.name).sort()).toEqual(['n1', 'n2', 'n3']);
    const status = await client.admin.status();
    expect(status.header.leaderId).not.toBe(0n);
    expect(members.map((member) => member.id)).toContain(status.header.leaderId);
    const target = members.find((member) => member.id !== status.header.leaderId);
    await client.members.moveLeader(target?.id);
    await waitFor('the moved leadership', 10_000, async () => ((await client.admin.status()).header.leaderId === target?.id ? true : undefined));
  });

  it('adds a learner, lists it as one, and removes it; an unknown member cannot be promoted', async () => {
    const added = await client.members.add({ name: 'n9', peerAddress: '127.0.0.1:1' });
    expect(added.member).toMatchObject({ name: 'n9', isLearner: true });
    expect((await client.members.list()).find((member) => member.name === 'n9')?.isLearner).toBe(true);
    const remaining = await client.members.remove(added.member.id);
    expect(remaining.map((member) => member.name)).not.toContain('n9');
    await expect(client.members.promote(added.member.id)).rejects.toMatchObject({ retryable: false });
  });

  it('takes a backup whose checksum verifies and restores it', async () => {
    await client.put('backup/kept', 'before');
    const chunks: Uint8Array[] = [];
    for await (const chunk of client.admin.backup()) chunks.push(chunk);
    await client.put('backup/kept', 'after');
    await client.put('backup/dropped', 'after');
    const restored = await client.admin.restore((async function* () {
      yield* chunks;
    })());
    expect(restored).toBe(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    expect((await client.get('backup/kept'))?.value.toString()).toBe('before');
    expect(await client.get('backup/dropped')).toBeUndefined();
  });

  it('ends a watch whose start revision was compacted with MVCC_COMPACTED, and a get of compacted history too', async () => {
    const first = await client.put('compacted/k', 'old');
    const second = await client.put('compacted/k', 'new');
    const answer = await request(cluster.members[0]?.url ?? '', 'POST', '/api/v1/admin/compact', { revision: second.revision });
    expect(answer.status).toBe(200);
    const events = client.watch('compacted/', { prefix: true, fromRevision: first.revision });
    await expect(events.next()).rejects.toMatchObject({ code: 'MVCC_COMPACTED', retryable: false });
    await expect(client.get('compacted/k', { revision: first.revision })).rejects.toMatchObject({ code: 'MVCC_COMPACTED' });
  });

  it('fails a call at its deadline, retries an unreachable endpoint only until it, and never retries an invalid request', async () => {
    await expect(client.get('calls/deadline', { timeoutMs: 1 })).rejects.toMatchObject({ code: 'CLIENT_DEADLINE_EXCEEDED' });
    const unreachable = connect({ endpoints: ['127.0.0.1:1'], dialTimeoutMs: 200 });
    const startedAtMs = Date.now();
    await expect(unreachable.put('x', 'y', { timeoutMs: 700 })).rejects.toMatchObject({ code: 'CLIENT_DEADLINE_EXCEEDED', retryable: false, mayHaveCommitted: false });
    expect(Date.now() - startedAtMs).toBeLessThan(1_500);
    unreachable.close();
    await expect(client.put('', 'empty key')).rejects.toMatchObject({ retryable: false, mayHaveCommitted: false });
  });
});
