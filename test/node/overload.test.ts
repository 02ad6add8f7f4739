// Nodes under more load than their queues take, in one process: writes, reads and forwarded
// requests past a bound are refused at once with NODE_OVERLOADED and counted in the overload
// metric; a follower whose inbox is full drops appends, counts the drops, and still ends with
// every acknowledged write and the same leader.
import { afterEach, describe, expect, it } from 'vitest';
import { isNodeError } from '../../src/node/errors.js';
import { systemIo } from '../../src/node/node-io.js';
import type { FileSystem } from '../../src/storage/index.js';
import type { RaftKvNode } from '../../src/node/raft-kv-node.js';
import { bytes, eventually, get, put, TestCluster } from './node-kit.js';

let cluster: TestCluster | undefined;

/** The real disk, with every fsync held for `delayMs`: a slow follower whose inbox fills while it waits. */
function slowSyncs(delayMs: number): FileSystem {
  const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, delayMs));
  return {
    ...systemIo.fileSystem,
    open: async (path, flags) => {
      const handle = await systemIo.fileSystem.open(path, flags);
      return {
        write: (...args) => handle.write(...args),
        read: (...args) => handle.read(...args),
        truncate: (length) => handle.truncate(length),
        close: () => handle.close(),
        datasync: async () => {
          await pause();
          await handle.datasync();
        },
        sync: async () => {
          await pause();
          await handle.sync();
        },
      };
    },
  };
}

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function counted(node: RaftKvNode, metric: 'overloadRefusals' | 'peerMessagesDropped'): Promise<number> {
  return (await node.metrics[metric].get()).values.reduce((sum, sample) => sum + sample.value, 0);
}

async function outcomes(calls: ReadonlyArray<Promise<unknown>>): Promise<{ ok: number; refusals: string[] }> {
  const settled = await Promise.allSettled(calls);
  const refusals: string[] = [];
  for (const result of settled) {
    if (result.status === 'fulfilled') continue;
    if (!isNodeError(result.reason, 'NODE_OVERLOADED')) throw result.reason;
    refusals.push(result.reason.message);
  }
  return { ok: settled.length - refusals.length, refusals };
}

describe('a node past its queue bounds', () => {
  it('refuses writes past pending-proposals-max and reads past pending-reads-max at once, and counts them', async () => {
    cluster = await TestCluster.start(['a'], { queueLimits: { pendingProposalsMax: 2, pendingReadsMax: 3 } });
    const node = await cluster.waitForLeader();
    const writes = await outcomes(Array.from({ length: 10 }, (_unused, index) => put(node, `w${index}`, 'v')));
    expect(writes.ok).toBe(2);
    expect(writes.refusals[0]).toBe('too many requests: the pending-proposal queue would hold 3 requests, over its limit of 2 (pending-proposals-max); retry after a back-off');
    const reads = await outcomes(Array.from({ length: 10 }, () => get(node, 'w0')));
    expect(reads.ok).toBe(3);
    expect(reads.refusals[0]).toBe('too many requests: the pending-read queue would hold 4 requests, over its limit of 3 (pending-reads-max); retry after a back-off');
    expect(await counted(node, 'overloadRefusals')).toBe(15);
    // Nothing stays queued: the node takes a full load again.
    expect((await outcomes([put(node, 'again', 'v'), put(node, 'again2', 'v')])).ok).toBe(2);
  });

  it('refuses requests forwarded to the leader past forwarded-requests-max', async () => {
    cluster = await TestCluster.start(['a', 'b', 'c'], { queueLimits: { forwardedRequestsMax: 1 } });
    const leader = await cluster.waitForLeader();
    const follower = cluster.followers(leader)[0]!;
    const granted = await leader.write({ type: 'leaseGrant', leaseGrant: { ttl: 60, id: 7 } });
    expect(granted.type).toBe('leaseGrant');
    await eventually(async () => expect((await follower.leases()).length).toBe(1));
    const keepAlives = await outcomes(Array.from({ length: 5 }, () => follower.leaseKeepAlive(7)));
    expect(keepAlives.ok).toBe(1);
    expect(keepAlives.refusals[0]).toBe('too many requests: the forwarded-request queue would hold 2 requests, over its limit of 1 (forwarded-requests-max); retry after a back-off');
    expect(await counted(follower, 'overloadRefusals')).toBe(4);
  });

  it('drops appends a full inbox cannot hold, counts the drops, and loses no acknowledged write nor its leader', async () => {
    cluster = await TestCluster.start(['a', 'b', 'c'], { queueLimits: { peerInboxMessagesMax: 1, peerInboxBytesMax: 4096 } });
    const firstLeader = await cluster.waitForLeader();
    // Restart one follower on a slow disk: appends pile up in its inbox while it syncs.
    const slow = cluster.followers(firstLeader)[0]!;
    await cluster.stop(slow.name);
    const members = ['a', 'b', 'c'].map((name) => ({ name, peerAddress: `mem://${name}` }));
    await cluster.restart(slow.name, members, { io: { ...systemIo, fileSystem: slowSyncs(30) } });
    const leader = await cluster.waitForLeader();
    const termBefore = (await leader.status()).term;
    const value = 'x'.repeat(3000);
    const acknowledged: string[] = [];
    for (let wave = 0; wave < 10; wave++) {
      const keys = Array.from({ length: 40 }, (_unused, index) => `k${wave}-${index}`);
      await Promise.all(keys.map(async (key) => {
        await leader.write({ type: 'put', put: { key: bytes(key), value: bytes(value) } });
        acknowledged.push(key);
      }));
    }
    expect(acknowledged).toHaveLength(400);
    expect(await counted(cluster.node(slow.name), 'peerMessagesDropped')).toBeGreaterThan(0);
    for (const node of cluster.running()) {
      await eventually(async () => expect((await node.status()).appliedIndex).toBe((await leader.status()).commitIndex));
      for (const key of acknowledged) expect(await get(node, key, 'serializable')).toBe(value);
    }
    expect((await leader.status()).term).toBe(termBefore);
    expect((await cluster.waitForLeader()).id).toBe(leader.id);
  }, 60_000);
});
