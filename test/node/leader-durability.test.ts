// A leader counts its own copy of an entry toward the quorum only once the entry is on its
// disk. The scenario that broke this: follower F2 cut off, the leader's disk stalled, follower
// F1 holding the entry; if the leader counted itself at append, F1 would learn a commit index
// covering an entry durable on F1 alone, apply it and serve it, and a crash of the leader
// followed by its re-election with F2's vote would lose the entry while F1 still served it.

import { afterEach, expect, it } from 'vitest';
import type { RaftKvNode } from '../../src/node/raft-kv-node.js';
import { TEST_TICK_MS, TestCluster, eventually, get, put, walOf } from './node-kit.js';

const NAMES = ['n1', 'n2', 'n3'];
const INITIAL_MEMBERS = NAMES.map((name) => ({ name, peerAddress: `mem://${name}` }));
/** Heartbeats go out every tick and carry the leader's commit index: enough rounds for F1 to learn it. */
const HEARTBEAT_ROUNDS_WAITED = 25;

interface StallableWal {
  append(...args: unknown[]): Promise<void>;
}

/** From now on nothing reaches the node's WAL: a crash loses every record handed to it after this. */
function stallDisk(node: RaftKvNode): void {
  const wal = walOf<StallableWal>(node);
  wal.append = () => new Promise<void>(() => undefined);
}

let cluster: TestCluster | undefined;
afterEach(async () => {
  // A failed run can leave the stalled leader running, and its close waits for its disk forever.
  const stalledCloseMs = 5_000;
  await Promise.race([cluster?.close(), new Promise((resolve) => setTimeout(resolve, stalledCloseMs))]);
  cluster = undefined;
});

it('an entry on the disks of fewer than a quorum is never applied, and survives no crash as applied', async () => {
  const fatal: unknown[] = [];
  cluster = await TestCluster.start(NAMES, { onFatalError: (error: unknown) => fatal.push(error) });
  const leader = await cluster.waitForLeader();
  await put(leader, 'warm', 'up');
  const [f1, f2] = cluster.followers(leader) as [RaftKvNode, RaftKvNode];
  cluster.network.isolate(f2.id);

  stallDisk(leader);
  // Every entry the leader appends after this never reaches its disk.
  const stalledAfter = (await leader.status()).lastIndex;
  put(leader, 'k', 'on-one-disk').catch(() => undefined);

  // F1 receives the entry and makes it durable; the leader's own copy never becomes durable.
  await eventually(async () => expect((await f1.status()).lastIndex).toBeGreaterThan(stalledAfter), 5_000);
  await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_ROUNDS_WAITED * TEST_TICK_MS));
  const held = await f1.status();
  expect(held.commitIndex).toBeLessThanOrEqual(stalledAfter);
  expect(held.appliedIndex).toBeLessThanOrEqual(stalledAfter);
  expect(await get(f1, 'k', 'serializable')).toBeUndefined();

  // The leader crashes before its fsync; F2 and the restarted leader elect a leader without F1.
  await cluster.crash(leader.name);
  cluster.network.isolate(f1.id);
  cluster.network.rejoin(f2.id);
  const restarted = await cluster.restart(leader.name, INITIAL_MEMBERS);
  const newLeader = await eventually(async () => {
    const [a, b] = await Promise.all([restarted.status(), f2.status()]);
    if (a.leaderId === 0 || a.leaderId !== b.leaderId) throw new Error('no common leader of the two yet');
    return a.leaderId === restarted.id ? restarted : f2;
  }, 10_000);
  await put(newLeader, 'after', 'crash');
  expect(await get(newLeader, 'k')).toBeUndefined();

  // F1 comes back: its unacknowledged copy is replaced by the cluster's log, and it agrees.
  cluster.network.rejoin(f1.id);
  await eventually(async () => expect(await get(f1, 'after', 'serializable')).toBe('crash'), 10_000);
  expect(await get(f1, 'k', 'serializable')).toBeUndefined();
  expect(await get(f1, 'k')).toBeUndefined();
  expect(fatal).toEqual([]);
}, 40_000);
