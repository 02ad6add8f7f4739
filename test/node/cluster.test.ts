import { afterEach, describe, expect, it } from 'vitest';
import { get, put, TestCluster, eventually } from './node-kit.js';

const NAMES = ['n1', 'n2', 'n3'];
const INITIAL = NAMES.map((name) => ({ name, peerAddress: `mem://${name}` }));

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('a three-node cluster in one process', () => {
  it('elects one leader, and a write sent to a follower is readable linearizably from every node', { timeout: 30_000 }, async () => {
    cluster = await TestCluster.start(NAMES);
    const leader = await cluster.waitForLeader();
    const [follower] = cluster.followers(leader);
    await put(follower!, 'from-follower', 'forwarded');
    for (const node of cluster.running()) expect(await get(node, 'from-follower')).toBe('forwarded');
    await put(leader, 'from-leader', 'direct');
    for (const node of cluster.running()) expect(await get(node, 'from-leader')).toBe('direct');
    expect(cluster.running().map((node) => node.members().length)).toEqual([3, 3, 3]);
  });

  it('a new leader takes over when the leader stops, and every acknowledged write is present', { timeout: 40_000 }, async () => {
    cluster = await TestCluster.start(NAMES);
    const leader = await cluster.waitForLeader();
    const acknowledged: string[] = [];
    const writer = cluster.followers(leader)[0]!;
    let writing = true;
    // Writes go on through the leader's loss; each is either acknowledged or refused, never lost.
    const writes = (async () => {
      for (let i = 0; writing; i++) {
        const key = `k${i}`;
        try {
          await put(writer, key, `v${i}`);
          acknowledged.push(key);
        } catch {
          // Not acknowledged: it may or may not be present. A refusal can come without any I/O, so pause
          // rather than spin on microtasks while no leader is known.
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    })();
    await eventually(() => {
      if (acknowledged.length < 20) throw new Error('not enough writes yet');
    });
    const leaderName = leader.name;
    cluster.network.isolate(leader.id);
    await cluster.stop(leaderName);
    const acknowledgedByOldLeader = acknowledged.length;
    const newLeader = await cluster.waitForLeader();
    expect(newLeader.name).not.toBe(leaderName);
    await eventually(() => {
      if (acknowledged.length < acknowledgedByOldLeader + 20) throw new Error('the new leader has not acknowledged writes yet');
    }, 20_000);
    writing = false;
    await writes;
    for (const node of cluster.running()) {
      for (const key of acknowledged) expect(await get(node, key, 'linearizable')).toBe(`v${key.slice(1)}`);
    }
  });

  it('restarts every member from disk with the data it acknowledged', { timeout: 40_000 }, async () => {
    cluster = await TestCluster.start(NAMES);
    const leader = await cluster.waitForLeader();
    for (let i = 0; i < 30; i++) await put(leader, `durable${i}`, `${i}`);
    const before = await leader.status();
    for (const name of NAMES) await cluster.stop(name);
    await Promise.all(NAMES.map((name) => cluster!.restart(name, INITIAL)));
    const restarted = await cluster.waitForLeader();
    for (const node of cluster.running()) {
      for (let i = 0; i < 30; i += 7) expect(await get(node, `durable${i}`)).toBe(`${i}`);
    }
    const after = await restarted.status();
    expect(after.revision).toBeGreaterThanOrEqual(before.revision);
    expect(after.clusterId).toBe(before.clusterId);
  });
});
