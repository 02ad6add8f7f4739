import { afterEach, describe, expect, it } from 'vitest';
import { isMvccError } from '../../src/mvcc/index.js';
import { bytes, get, put, TestCluster, text } from './node-kit.js';

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('a single node', () => {
  it('elects itself, serves writes and linearizable and serializable reads', { timeout: 20_000 }, async () => {
    cluster = await TestCluster.start(['solo']);
    const node = await cluster.waitForLeader();
    const response = await put(node, 'greeting', 'hello');
    expect(response.type).toBe('put');
    expect(await get(node, 'greeting')).toBe('hello');
    expect(await get(node, 'greeting', 'serializable')).toBe('hello');
    const status = await node.status();
    expect(status.role).toBe('leader');
    expect(status.appliedIndex).toBeGreaterThanOrEqual(3);
    expect(node.readiness()).toEqual({ ready: true, reason: '' });
    const exposition = await node.metrics.registry.metrics();
    expect(exposition).toMatch(/^bvault_server_has_leader 1$/m);
    expect(exposition).toMatch(/^bvault_server_is_leader 1$/m);
    expect(exposition).toMatch(/^bvault_server_proposals_applied_total [1-9]/m);
    expect(exposition).toMatch(/^bvault_disk_wal_fsync_duration_seconds_count [1-9]/m);
    // Each start-up step the node timed, so an operator sees which one a slow restart spent its time in.
    for (const step of ['lockDataDir', 'identity', 'walReplay', 'levelDbOpen', 'mvccOpen', 'memberTableRebuild', 'raftRestart', 'transportStart', 'total']) {
      expect(exposition).toMatch(new RegExp(`^bvault_server_startup_step_seconds\\{step="${step}"\\} \\d`, 'm'));
    }
  });

  it('delivers watch events for the writes it applies', { timeout: 20_000 }, async () => {
    cluster = await TestCluster.start(['solo']);
    const node = await cluster.waitForLeader();
    const watcher = node.watch({ key: bytes('w/'), rangeEnd: bytes('w0') });
    await put(node, 'w/one', '1');
    await put(node, 'w/two', '2');
    const seen: string[] = [];
    for await (const response of watcher) {
      for (const event of response.events) seen.push(`${event.type} ${text(event.kv.key)}=${text(event.kv.value)}`);
      if (seen.length >= 2) break;
    }
    expect(seen).toEqual(['put w/one=1', 'put w/two=2']);
  });

  it('rejects bad requests before proposing them, so the log does not grow', { timeout: 20_000 }, async () => {
    cluster = await TestCluster.start(['solo'], { limits: { keyBytesMax: 16, valueBytesMax: 64 } });
    const node = await cluster.waitForLeader();
    await put(node, 'ok', 'fine');
    const before = await node.status();
    const attempts = [
      node.write({ type: 'put', put: { key: bytes('k'.repeat(17)), value: bytes('v') } }),
      node.write({ type: 'put', put: { key: bytes('k'), value: bytes('v'.repeat(65)) } }),
      node.write({ type: 'put', put: { key: new Uint8Array(0), value: bytes('v') } }),
      node.write({ type: 'txn', txn: { compare: [], success: Array.from({ length: 200 }, () => ({ type: 'put' as const, put: { key: bytes('a'), value: bytes('b') } })), failure: [] } }),
    ];
    const codes = await Promise.all(attempts.map((attempt) => attempt.then(() => 'accepted', (error: unknown) => (isMvccError(error) ? error.code : String(error)))));
    expect(codes).toEqual(['MVCC_KEY_TOO_LARGE', 'MVCC_VALUE_TOO_LARGE', 'MVCC_EMPTY_KEY', 'MVCC_TOO_MANY_TXN_OPS']);
    const after = await node.status();
    expect(after.lastIndex).toBe(before.lastIndex);
    expect(after.revision).toBe(before.revision);
  });

  it('answers an applied request that fails with its MVCC error', { timeout: 20_000 }, async () => {
    cluster = await TestCluster.start(['solo']);
    const node = await cluster.waitForLeader();
    const unknownLease = put(node, 'leased', 'v', 424242);
    await expect(unknownLease).rejects.toMatchObject({ code: 'MVCC_LEASE_NOT_FOUND' });
    expect(await get(node, 'leased')).toBeUndefined();
  });
});
