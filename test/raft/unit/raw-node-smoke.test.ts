// Quick end-to-end checks of RawNode through a tiny in-test message pump: enough to see that
// elections, replication and reads work before the full scenario and simulator suites run.

import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/raft/config.js';
import type { RaftConfigInput } from '../../../src/raft/config.js';
import { MemoryStorage } from '../../../src/raft/memory-storage.js';
import { SeededRandom } from '../../../src/raft/random.js';
import { RawNode } from '../../../src/raft/raw-node.js';
import type { Entry, Message, NodeId, ReadState } from '../../../src/raft/types.js';
import { EMPTY_CONF_STATE, EntryType, StateType, nodeId } from '../../../src/raft/types.js';

interface TestNode {
  readonly node: RawNode;
  readonly storage: MemoryStorage;
  readonly applied: Entry[];
  readonly readStates: ReadState[];
}

function makeCluster(size: number, overrides: Partial<RaftConfigInput> = {}): Map<NodeId, TestNode> {
  const voters = Array.from({ length: size }, (_, i) => nodeId(i + 1));
  const cluster = new Map<NodeId, TestNode>();
  for (const id of voters) {
    const storage = new MemoryStorage({ confState: { ...EMPTY_CONF_STATE, voters } });
    const node = new RawNode(defaultConfig({ id, storage, random: new SeededRandom(id), ...overrides }));
    cluster.set(id, { node, storage, applied: [], readStates: [] });
  }
  return cluster;
}

/** Processes Readys in the contract's order and delivers messages until the cluster is quiet. */
function pump(cluster: Map<NodeId, TestNode>): void {
  for (let round = 0; round < 1000; round++) {
    const inFlight: Message[] = [];
    for (const member of cluster.values()) {
      if (!member.node.hasReady()) continue;
      const ready = member.node.ready();
      if (ready.snapshot !== null) member.storage.applySnapshot(ready.snapshot);
      member.storage.append(ready.entries);
      if (ready.hardState !== null) member.storage.setHardState(ready.hardState);
      inFlight.push(...ready.messages, ...ready.messagesAfterPersist);
      member.applied.push(...ready.committedEntries);
      member.readStates.push(...ready.readStates);
      member.node.advance(ready);
    }
    if (inFlight.length === 0) return;
    for (const m of inFlight) cluster.get(m.to)?.node.step(m);
  }
  throw new Error('the cluster did not quiesce');
}

function leaders(cluster: Map<NodeId, TestNode>): NodeId[] {
  return [...cluster.values()].filter((m) => m.node.status().softState.state === StateType.Leader).map((m) => m.node.status().id);
}

function dataOf(entries: readonly Entry[]): string[] {
  return entries.filter((e) => e.type === EntryType.Normal && e.data.byteLength > 0).map((e) => new TextDecoder().decode(e.data));
}

describe('RawNode smoke', () => {
  it('a single node elects itself and commits its proposal', () => {
    const cluster = makeCluster(1);
    const only = cluster.get(nodeId(1))!;
    expect(only.node.campaign()).toBeNull();
    pump(cluster);
    expect(leaders(cluster)).toEqual([1]);
    expect(only.node.propose(new TextEncoder().encode('x'))).toBeNull();
    pump(cluster);
    expect(dataOf(only.applied)).toEqual(['x']);
    expect(only.storage.lastIndex()).toBe(2);
  });

  it('three nodes elect exactly one leader by ticking, and replicate its proposals', () => {
    const cluster = makeCluster(3);
    for (let tick = 0; tick < 40 && leaders(cluster).length === 0; tick++) {
      for (const member of cluster.values()) member.node.tick();
      pump(cluster);
    }
    expect(leaders(cluster)).toHaveLength(1);
    const leader = cluster.get(leaders(cluster)[0]!)!;
    const follower = [...cluster.values()].find((m) => m !== leader)!;
    expect(leader.node.propose(new TextEncoder().encode('a'))).toBeNull();
    expect(follower.node.propose(new TextEncoder().encode('b'))).toBeNull();
    pump(cluster);
    // Heartbeats carry the final commit index to the followers.
    for (const member of cluster.values()) member.node.tick();
    pump(cluster);
    for (const member of cluster.values()) expect(dataOf(member.applied)).toEqual(['a', 'b']);
  });

  it('a proposal without a leader fails fast with NoLeader', () => {
    const cluster = makeCluster(3);
    expect(cluster.get(nodeId(2))!.node.propose(new Uint8Array([1]))?.code).toBe('RAFT_NO_LEADER');
  });

  it('a linearizable read at a follower is answered with the leader commit index', () => {
    const cluster = makeCluster(3);
    cluster.get(nodeId(1))!.node.campaign();
    pump(cluster);
    const follower = cluster.get(nodeId(3))!;
    expect(follower.node.readIndex(new Uint8Array([9]))).toBeNull();
    pump(cluster);
    const leaderCommit = cluster.get(nodeId(1))!.node.status().hardState.commit;
    expect(leaderCommit).toBe(1);
    expect(follower.readStates).toEqual([{ index: leaderCommit, context: new Uint8Array([9]) }]);
  });
});
