// Restart: a node rebuilt from its storage resumes where it stopped (Raft paper §5.1: term,
// vote and log are persistent state), including the membership changes it had applied.

import { describe, expect, it } from 'vitest';
import { ConfChangeTransition, MessageType, StateType } from '../../src/raft/index.js';
import { Cluster, ELECTION_TICKS, addVoter, confChange, removeNode } from './harness.js';

const sortedIds = (ids: readonly number[]): number[] => [...ids].sort((a, b) => a - b);

describe('restart from storage', () => {
  it('a restarted follower keeps its term, vote, commit, applied index and membership', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    cluster.propose(1, 'a');
    cluster.stabilize();
    expect(cluster.node(1).raw.proposeConfChange(confChange(ConfChangeTransition.Auto, removeNode(3)))).toBeNull();
    cluster.stabilize();
    const before = cluster.node(2).raw.status();
    expect(sortedIds(before.confState.voters)).toEqual([1, 2]);

    const after = cluster.restart(2).raw.status();
    expect(after.hardState).toEqual(before.hardState);
    expect(after.applied).toBe(before.applied);
    expect(sortedIds(after.confState.voters)).toEqual([1, 2]);
    expect(after.confState.votersOutgoing).toEqual([]);
    expect(after.softState.state).toBe(StateType.Follower);

    cluster.propose(1, 'b');
    cluster.tickUntil(() => cluster.node(2).texts().length === 2, ELECTION_TICKS, [1]);
    expect(cluster.node(2).texts()).toEqual(['a', 'b']);
  });

  it('a restarted node counts the quorum of the membership it had applied, not of its first one', () => {
    const cluster = new Cluster({ voters: 2 });
    cluster.elect(1);
    cluster.addNode(3);
    cluster.isolate(3);
    expect(cluster.node(1).raw.proposeConfChange(confChange(ConfChangeTransition.Auto, addVoter(3)))).toBeNull();
    cluster.stabilize();
    for (const id of [1, 2]) cluster.restart(id);
    // Under its first membership {1, 2} node 2 would not poll node 3; under the applied
    // {1, 2, 3} it must (and 1 and 2 are still two of three).
    cluster.elect(2);
    expect(cluster.sent({ type: MessageType.PreVote, from: 2, to: 3 })).toHaveLength(1);
    expect(sortedIds(cluster.node(2).raw.status().confState.voters)).toEqual([1, 2, 3]);
  });

  it('after the whole cluster restarts it elects a leader and loses nothing it had committed', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    for (const text of ['a', 'b', 'c']) cluster.propose(1, text);
    cluster.stabilize();
    for (const id of cluster.ids()) cluster.restart(id);
    cluster.tickUntil(() => cluster.leader() !== undefined, 3 * ELECTION_TICKS);
    const leader = cluster.leader() ?? 0;
    expect(cluster.propose(leader, 'd')).toBeNull();
    cluster.stabilize();
    for (const id of cluster.ids()) expect(cluster.node(id).texts()).toEqual(['a', 'b', 'c', 'd']);
  });
});
