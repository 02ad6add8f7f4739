import { type ChildProcess, spawn } from 'node:child_process';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isMvccError } from '../../src/mvcc/index.js';
import { isNodeError } from '../../src/node/errors.js';
import { bytes, eventually, get, put, TestCluster } from './node-kit.js';

const NAMES = ['n1', 'n2', 'n3'];

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function grantLease(cluster: TestCluster, ttlSeconds: number): Promise<number> {
  const leader = await cluster.waitForLeader();
  const response = await leader.write({ type: 'leaseGrant', leaseGrant: { ttl: ttlSeconds } });
  if (response.type !== 'leaseGrant') throw new Error(`unexpected response ${response.type}`);
  return response.leaseGrant.id;
}

/** A plain Node process that takes the data directory's kernel lock, as a running member would. */
async function holdLockInAnotherProcess(directory: string): Promise<ChildProcess> {
  const script = `import { ClassicLevel } from 'classic-level'; await new ClassicLevel(${JSON.stringify(directory)}, { createIfMissing: true }).open(); console.log('locked'); setTimeout(() => {}, 60000);`;
  await mkdir(directory, { recursive: true });
  const holder = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder.stdout?.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`the lock holder exited with code ${String(code)} before taking the lock`)));
  });
  return holder;
}

/** Whether a separate process is refused the lock on `directory`. */
async function lockHeldByAnotherProcess(directory: string): Promise<boolean> {
  const script = `import { ClassicLevel } from 'classic-level'; try { await new ClassicLevel(${JSON.stringify(directory)}).open(); console.log('free'); } catch (error) { console.log(error.cause?.code); }`;
  const probe = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  probe.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise((resolve) => probe.once('exit', resolve));
  return output.trim() === 'LEVEL_LOCKED';
}

describe('leases', () => {
  it('an expired lease is revoked by the leader within its TTL plus one second, and its keys are deleted on every member', { timeout: 30_000 }, async () => {
    cluster = await TestCluster.start(NAMES);
    const leader = await cluster.waitForLeader();
    const ttlSeconds = 1;
    const leaseId = await grantLease(cluster, ttlSeconds);
    // The leader starts the lease's clock when it applies the grant, before acknowledging it.
    const acknowledgedAt = Date.now();
    const follower = cluster.followers(leader)[0]!;
    await put(follower, 'ephemeral', 'soon gone', leaseId);
    expect(await get(follower, 'ephemeral')).toBe('soon gone');
    // Polled where the revoke happens, locally, so the measurement adds little to the deletion time.
    await eventually(async () => expect(await get(leader, 'ephemeral', 'serializable')).toBeUndefined(), 10_000, 10);
    expect(Date.now() - acknowledgedAt).toBeLessThan((ttlSeconds + 1) * 1000);
    for (const node of cluster.running()) expect(await get(node, 'ephemeral')).toBeUndefined();
  });

  it('a lease keeps its remaining TTL across a leader change', { timeout: 40_000 }, async () => {
    cluster = await TestCluster.start(NAMES, { leaseCheckpointIntervalMs: 200 });
    const ttlSeconds = 10;
    const grantStartedAt = Date.now();
    const leaseId = await grantLease(cluster, ttlSeconds);
    const leader = await cluster.waitForLeader();
    await put(leader, 'held', 'by lease', leaseId);
    // Wait for the behaviour, not for a time: a checkpoint with at least 3 s used up is replicated.
    await eventually(async () => {
      const { checkpointedRemainingTtl } = await leader.leaseTimeToLive(leaseId, false);
      // 0 means no checkpoint yet.
      expect(checkpointedRemainingTtl).toBeGreaterThan(0);
      expect(checkpointedRemainingTtl).toBeLessThanOrEqual(ttlSeconds - 3);
    }, 15_000, 100);
    await leader.transferLeadership();
    const next = await cluster.waitForLeader();
    expect(next.id).not.toBe(leader.id);
    const ttl = await eventually(() => next.leaseTimeToLive(leaseId, true), 5_000);
    const answeredAt = Date.now();
    // At most the checkpointed 7 s plus the new leader's election-timeout extension, rounded
    // up; a fresh TTL would answer 10 or more.
    expect(ttl.remainingTtl).toBeLessThanOrEqual(ttlSeconds - 2);
    // Never less than what the wall clock allows: the lease lost no more time than passed.
    expect(ttl.remainingTtl).toBeGreaterThanOrEqual(ttlSeconds - (answeredAt - grantStartedAt) / 1000);
    expect(ttl.keys.map((key) => Buffer.from(key).toString())).toEqual(['held']);
    // Keep-alives sent to a follower reach the new leader and renew the full TTL.
    const follower = cluster.followers(next)[0]!;
    const keepAliveStartedAt = Date.now();
    expect(await follower.leaseKeepAlive(leaseId)).toBe(ttlSeconds);
    const renewed = await next.leaseTimeToLive(leaseId, false);
    expect(renewed.remainingTtl).toBeGreaterThanOrEqual(ttlSeconds - (Date.now() - keepAliveStartedAt) / 1000);
  });
});

describe('the backend quota', () => {
  it('raises NOSPACE when the database passes the quota: writes fail, reads work, and compaction plus defragment clear it', { timeout: 50_000 }, async () => {
    cluster = await TestCluster.start(['solo'], { quotaBytes: 256 * 1024 });
    const node = await cluster.waitForLeader();
    const value = bytes('v'.repeat(16 * 1024));
    let refused: unknown;
    for (let i = 0; i < 400 && refused === undefined; i++) {
      await node.write({ type: 'put', put: { key: bytes(`big${i % 20}`), value } }).catch((error: unknown) => {
        refused = error;
      });
      if (i % 20 === 19) await node.defragment();
    }
    expect(isMvccError(refused, 'MVCC_NOSPACE')).toBe(true);
    await eventually(async () => expect((await node.status()).alarms.length).toBe(1), 5_000);
    await expect(put(node, 'more', 'x')).rejects.toMatchObject({ code: 'MVCC_NOSPACE' });
    expect(await get(node, 'big0')).toBe('v'.repeat(16 * 1024));
    await node.write({ type: 'deleteRange', deleteRange: { key: bytes('big'), rangeEnd: bytes('bih') } });
    const { revision } = await node.status();
    await node.write({ type: 'compaction', compaction: { revision } });
    await eventually(async () => {
      await node.defragment();
      expect((await node.status()).alarms).toEqual([]);
    }, 20_000, 500);
    await put(node, 'more', 'x');
    expect(await get(node, 'more')).toBe('x');
  });
});

describe('the data directory', () => {
  it('is refused to a second node while another holds its lock', { timeout: 20_000 }, async () => {
    cluster = await TestCluster.start(['solo']);
    await cluster.waitForLeader();
    const second = cluster.open('solo', { mode: 'new', initialMembers: [{ name: 'solo', peerAddress: 'mem://solo-again' }] });
    await expect(second).rejects.toMatchObject({ code: 'NODE_DATA_DIR_LOCKED', message: expect.stringContaining(`is in use by process ${process.pid}`) as unknown });
    // The refusal must not have loosened the first node's kernel lock: another process is refused too.
    await expect(lockHeldByAnotherProcess(join(await cluster.dataDirOf('solo'), 'metadata', 'process-lock'))).resolves.toBe(true);
  });

  it('is refused while another live process holds the lock, naming its pid, and admitted at once after that process is killed with SIGKILL', { timeout: 20_000 }, async () => {
    cluster = new TestCluster();
    const dataDir = await cluster.dataDirOf('solo');
    const holder = await holdLockInAnotherProcess(join(dataDir, 'metadata', 'process-lock'));
    try {
      const initialMembers = [{ name: 'solo', peerAddress: 'mem://solo' }];
      const refused = await cluster.open('solo', { mode: 'new', initialMembers }).then(() => undefined, (error: unknown) => error);
      expect(isNodeError(refused, 'NODE_DATA_DIR_LOCKED')).toBe(true);
      expect((refused as Error).message).toContain(`is in use by process ${holder.pid}`);
      // What a supervisor does: restart as soon as it learns of the death, with no pause.
      const exited = new Promise((resolve) => holder.once('exit', resolve));
      holder.kill('SIGKILL');
      await exited;
      const node = await cluster.open('solo', { mode: 'new', initialMembers });
      await cluster.waitForLeader();
      await put(node, 'k', 'v');
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('left with the pid lock file of an earlier version, naming a live process, starts and removes that file', { timeout: 20_000 }, async () => {
    cluster = new TestCluster();
    const dataDir = await cluster.dataDirOf('solo');
    await mkdir(join(dataDir, 'metadata'), { recursive: true });
    const legacyLockFile = join(dataDir, 'metadata', 'lock');
    await writeFile(legacyLockFile, String(process.pid));
    const node = await cluster.open('solo', { mode: 'new', initialMembers: [{ name: 'solo', peerAddress: 'mem://solo' }] });
    await cluster.waitForLeader();
    await put(node, 'k', 'v');
    await expect(access(legacyLockFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('of another cluster is refused with a message naming both cluster ids', { timeout: 20_000 }, async () => {
    cluster = await TestCluster.start(['solo']);
    const node = await cluster.waitForLeader();
    const storedClusterId = node.clusterId;
    await cluster.stop('solo');
    const otherCluster = [{ name: 'solo', peerAddress: 'mem://solo' }, { name: 'other', peerAddress: 'mem://other' }];
    const refused = await cluster.open('solo', { mode: 'new', initialMembers: otherCluster }).then(() => undefined, (error: unknown) => error);
    expect(isNodeError(refused, 'NODE_CLUSTER_MISMATCH')).toBe(true);
    expect((refused as Error).message).toContain(storedClusterId);
  });
});
