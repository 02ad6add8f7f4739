// Snapshots (Raft paper §7): a follower whose next entry was compacted away is sent the
// leader's snapshot, installs it, and continues from there.

import { describe, expect, it } from 'vitest';
import { ConfChangeTransition, MessageType, ProgressState, nodeId } from '../../src/raft/index.js';
import { Cluster, ELECTION_TICKS, addVoter, confChange } from './harness.js';

const written = (count: number): string[] => Array.from({ length: count }, (_, i) => `write ${i}`);

/** Elects 1, writes 20 entries while 3 is cut off, and compacts 1 and 2 past all of them. */
function followerBehindCompaction() {
  const cluster = new Cluster();
  cluster.elect(1);
  const partition = cluster.isolate(3);
  for (const text of written(20)) cluster.propose(1, text);
  cluster.stabilize();
  const snapshot = cluster.compact(1);
  cluster.compact(2);
  return { cluster, partition, snapshot };
}

describe('snapshots', () => {
  it('a follower behind the compaction installs the leader snapshot, then catches up', () => {
    const { cluster, partition, snapshot } = followerBehindCompaction();
    cluster.heal(partition);
    cluster.tickUntil(() => cluster.node(3).snapshotsInstalled.length > 0, 2 * ELECTION_TICKS, [1]);
    const follower = cluster.node(3);
    expect(follower.snapshotsInstalled[0]?.metadata).toEqual(snapshot.metadata);
    expect(follower.storage.firstIndex()).toBe(snapshot.metadata.index + 1);
    expect(follower.texts()).toEqual(written(20));

    expect(cluster.propose(1, 'after the snapshot')).toBeNull();
    cluster.tickUntil(() => follower.texts().length === 21, ELECTION_TICKS, [1]);
    expect(follower.texts()).toEqual([...written(20), 'after the snapshot']);
    expect(cluster.node(1).raw.status().progress.get(nodeId(3))?.state).toBe(ProgressState.Replicate);
  });

  it('a snapshot that does not arrive sends the follower back to probing, and the leader sends it again', () => {
    const { cluster, partition } = followerBehindCompaction();
    cluster.heal(partition);
    const lost = cluster.dropTypes(MessageType.Snapshot);
    cluster.tickUntil(() => cluster.sent({ type: MessageType.Snapshot, to: 3 }).length > 0, 2 * ELECTION_TICKS, [1]);
    expect(cluster.node(1).raw.status().progress.get(nodeId(3))?.state).toBe(ProgressState.Probe);
    expect(cluster.node(3).snapshotsInstalled).toEqual([]);

    cluster.heal(lost);
    cluster.tickUntil(() => cluster.node(3).texts().length === 20, 2 * ELECTION_TICKS, [1]);
    expect(cluster.node(3).snapshotsInstalled).toHaveLength(1);
  });

  it('a node that joins after compaction learns the membership from a snapshot taken before its addition', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    for (const text of written(5)) cluster.propose(1, text);
    cluster.stabilize();
    cluster.compact(1);
    cluster.addNode(4);
    expect(cluster.node(1).raw.proposeConfChange(confChange(ConfChangeTransition.Auto, addVoter(4)))).toBeNull();
    cluster.tickUntil(() => cluster.node(4).texts().length === 5, 2 * ELECTION_TICKS, [1]);
    const joiner = cluster.node(4);
    expect(joiner.snapshotsInstalled[0]?.metadata.confState.voters).not.toContain(4);
    // It applied the change (and the leave of the joint state) from the log after the snapshot.
    expect(joiner.confStates.at(-1)?.voters).toContain(4);
    expect(joiner.confStates.at(-1)?.votersOutgoing).toEqual([]);
  });
});
