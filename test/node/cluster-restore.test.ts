import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { isMvccError } from '../../src/mvcc/index.js';
import { isNodeError } from '../../src/node/errors.js';
import type { RaftKvNode } from '../../src/node/raft-kv-node.js';
import { bytes, eventually, get, put, TestCluster, text } from './node-kit.js';

const NAMES = ['n1', 'n2', 'n3'];
const INITIAL = NAMES.map((name) => ({ name, peerAddress: `mem://${name}` }));

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The backup as an uploaded body arrives: in small pieces. */
async function* pieces(backup: Buffer, pieceBytes = 4096): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < backup.length; offset += pieceBytes) yield backup.subarray(offset, offset + pieceBytes);
}

async function keysOf(node: RaftKvNode): Promise<string[]> {
  const response = await node.range({ key: bytes('k'), rangeEnd: bytes('l') });
  return response.kvs.map((kv) => `${text(kv.key)}=${text(kv.value)}`);
}

/** Waits until every member applied the same index, then returns each member's state digest. */
async function stateDigests(cluster: TestCluster): Promise<string[]> {
  await eventually(async () => {
    const applied = await Promise.all(cluster.running().map(async (node) => (await node.status()).appliedIndex));
    expect(new Set(applied).size).toBe(1);
  });
  return Promise.all(cluster.running().map(async (node) => createHash('sha256').update(await collect(node.backup())).digest('hex')));
}

describe('a cluster-wide restore through Raft', () => {
  it('replaces the state of every member identically, through a follower, and survives a restart', { timeout: 50_000 }, async () => {
    // Large values make a backup of several 1 MiB chunks.
    cluster = await TestCluster.start(NAMES);
    const leader = await cluster.waitForLeader();
    const large = 'x'.repeat(200 * 1024);
    for (let i = 0; i < 12; i++) await put(leader, `k${String(i).padStart(2, '0')}`, i % 2 === 0 ? large : `v${i}`);
    const backup = await collect(leader.backup());
    expect(backup.length).toBeGreaterThan(2 * 1024 * 1024);
    const expected = await keysOf(leader);
    await put(leader, 'k99', 'written after the backup');
    await leader.write({ type: 'deleteRange', deleteRange: { key: bytes('k00'), rangeEnd: bytes('k05') } });
    const follower = cluster.followers(leader)[0]!;
    const revisionBefore = (await leader.status()).revision;
    await follower.restore(pieces(backup));
    expect(await keysOf(follower)).toEqual(expected);
    for (const node of cluster.running()) expect(await keysOf(node)).toEqual(expected);
    const digests = await stateDigests(cluster);
    expect(new Set(digests).size).toBe(1);
    // Every member (in the same state, so at the same revision) moved past the revision clients saw.
    const revisions = await Promise.all(cluster.running().map(async (node) => (await node.status()).revision));
    expect(revisions.every((restored) => restored > revisionBefore)).toBe(true);
    // The restored state builds on: writes continue after the restored revision.
    await put(follower, 'k99', 'after the restore');
    for (const name of NAMES) await cluster.stop(name);
    await Promise.all(NAMES.map((name) => cluster!.restart(name, INITIAL)));
    await cluster.waitForLeader();
    for (const node of cluster.running()) expect(await keysOf(node)).toEqual([...expected, 'k99=after the restore']);
  });

  it('the leader expires the leases of the restored state', { timeout: 30_000 }, async () => {
    cluster = await TestCluster.start(NAMES);
    const leader = await cluster.waitForLeader();
    const granted = await leader.write({ type: 'leaseGrant', leaseGrant: { ttl: 2 } });
    if (granted.type !== 'leaseGrant') throw new Error(`unexpected response ${granted.type}`);
    await put(leader, 'k-leased', 'expires', granted.leaseGrant.id);
    const backup = await collect(leader.backup());
    await leader.write({ type: 'leaseRevoke', leaseRevoke: { id: granted.leaseGrant.id } });
    expect(await get(leader, 'k-leased')).toBeUndefined();
    await cluster.followers(leader)[0]!.restore(pieces(backup));
    expect(await get(leader, 'k-leased')).toBe('expires');
    await eventually(async () => {
      for (const node of cluster!.running()) expect(await get(node, 'k-leased')).toBeUndefined();
    }, 15_000);
  });

  it('refuses a corrupt or truncated backup before proposing anything, and a second restore while one runs', { timeout: 30_000 }, async () => {
    cluster = await TestCluster.start(NAMES);
    const leader = await cluster.waitForLeader();
    for (let i = 0; i < 5; i++) await put(leader, `k${i}`, `v${i}`);
    const backup = await collect(leader.backup());
    const before = await keysOf(leader);
    const { lastIndex } = await leader.status();
    const corrupt = Buffer.from(backup);
    corrupt[Math.floor(corrupt.length / 2)] = (corrupt[Math.floor(corrupt.length / 2)]! + 1) % 256;
    const follower = cluster.followers(leader)[0]!;
    for (const bad of [corrupt, backup.subarray(0, backup.length - 8)]) {
      const refused = await follower.restore(pieces(bad, 16)).then(() => undefined, (error: unknown) => error);
      expect(isMvccError(refused, 'MVCC_SNAPSHOT_INVALID')).toBe(true);
    }
    expect((await leader.status()).lastIndex).toBe(lastIndex);
    for (const node of cluster.running()) expect(await keysOf(node)).toEqual(before);
    const first = follower.restore(pieces(backup));
    const second = await follower.restore(pieces(backup)).then(() => undefined, (error: unknown) => error);
    expect(isNodeError(second, 'NODE_BUSY')).toBe(true);
    await first;
    expect(await get(follower, 'k1')).toBe('v1');
  });
});
