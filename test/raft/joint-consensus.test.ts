// Membership changes by joint consensus (Raft paper §6, etcd's confchange): every change passes
// through a joint configuration whose decisions need majorities of both the old and the new
// voters; one change at a time.

import { describe, expect, it } from 'vitest';
import {
  ConfChangeTransition,
  EntryType,
  MessageType,
  RaftErrorCode,
  StateType,
  decodeConfChange,
} from '../../src/raft/index.js';
import type { ConfChange, ConfState } from '../../src/raft/index.js';
import { Cluster, ELECTION_TICKS, LEAVE_JOINT, addLearner, addVoter, confChange, removeNode } from './harness.js';

/** A membership with sorted ids, so that it compares independently of insertion order. */
function membership(confState: ConfState) {
  const sorted = (ids: readonly number[]) => [...ids].sort((a, b) => a - b);
  return { voters: sorted(confState.voters), outgoing: sorted(confState.votersOutgoing), learners: sorted(confState.learners) };
}

/**
 * Elects 1 and makes `change` while the new node `joiner` is unreachable, then compacts the
 * leader's log: a joiner starts with an empty store, and the initial membership exists only in
 * the stores of the first members, so it must learn the membership (itself included) from a
 * snapshot taken after the change.
 */
function changeWithJoiner(change: ConfChange, joiner: number): Cluster {
  const cluster = new Cluster();
  cluster.elect(1);
  cluster.addNode(joiner);
  const unreachable = cluster.isolate(joiner);
  expect(cluster.node(1).raw.proposeConfChange(change)).toBeNull();
  cluster.stabilize();
  cluster.compact(1);
  cluster.heal(unreachable);
  cluster.tickUntil(() => cluster.node(joiner).snapshotsInstalled.length > 0, 2 * ELECTION_TICKS, [1]);
  return cluster;
}

describe('joint consensus', () => {
  it('adds a voter through the joint configuration, which the leader leaves on its own', () => {
    const cluster = changeWithJoiner(confChange(ConfChangeTransition.Auto, addVoter(4)), 4);
    expect(cluster.node(1).confStates.map(membership)).toEqual([
      { voters: [1, 2, 3, 4], outgoing: [1, 2, 3], learners: [] },
      { voters: [1, 2, 3, 4], outgoing: [], learners: [] },
    ]);
    // The leave was the leader's own empty ConfChange.
    const appliedChanges = cluster.node(1).appliedEntries.filter((e) => e.type === EntryType.ConfChange);
    expect(appliedChanges.map((e) => decodeConfChange(e.data).changes.length)).toEqual([1, 0]);
    // The joiner learned the membership from the snapshot.
    expect(membership(cluster.node(4).raw.status().confState)).toEqual({ voters: [1, 2, 3, 4], outgoing: [], learners: [] });
    cluster.propose(1, 'with four voters');
    cluster.stabilize();
    expect(cluster.node(4).texts()).toEqual(['with four voters']);
  });

  it('removes a voter through the joint configuration; the others then commit without it', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    expect(cluster.node(1).raw.proposeConfChange(confChange(ConfChangeTransition.Auto, removeNode(3)))).toBeNull();
    cluster.stabilize();
    expect(cluster.node(1).confStates.map(membership)).toEqual([
      { voters: [1, 2], outgoing: [1, 2, 3], learners: [] },
      { voters: [1, 2], outgoing: [], learners: [] },
    ]);
    cluster.isolate(3);
    cluster.propose(1, 'without 3');
    cluster.stabilize();
    expect(cluster.node(2).texts()).toEqual(['without 3']);
  });

  it('with an explicit transition it stays joint until asked to leave, and meanwhile needs both majorities', () => {
    const cluster = changeWithJoiner(confChange(ConfChangeTransition.JointExplicit, addVoter(4), removeNode(3)), 4);
    cluster.tick(3 * ELECTION_TICKS);
    const joint = { voters: [1, 2, 4], outgoing: [1, 2, 3], learners: [] };
    for (const id of [1, 2, 3, 4]) expect(membership(cluster.node(id).raw.status().confState)).toEqual(joint);

    // Nodes 1 and 3 are a majority of the old voters {1,2,3} but not of the new {1,2,4}.
    const committed = cluster.node(1).commit();
    cluster.isolate(2);
    cluster.isolate(4);
    cluster.propose(1, 'needs both majorities');
    cluster.stabilize();
    expect(cluster.node(1).commit()).toBe(committed);
    cluster.heal();
    cluster.tickUntil(() => cluster.node(1).texts().includes('needs both majorities'), ELECTION_TICKS, [1]);

    expect(cluster.node(1).raw.proposeConfChange(LEAVE_JOINT)).toBeNull();
    cluster.tickUntil(() => cluster.node(1).raw.status().confState.votersOutgoing.length === 0, ELECTION_TICKS, [1]);
    expect(membership(cluster.node(1).raw.status().confState)).toEqual({ voters: [1, 2, 4], outgoing: [], learners: [] });
  });

  it('refuses a second change while one is pending', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    const leader = cluster.node(1).raw;
    expect(leader.proposeConfChange(confChange(ConfChangeTransition.Auto, addLearner(4)))).toBeNull();
    expect(leader.proposeConfChange(confChange(ConfChangeTransition.Auto, addLearner(5)))?.code).toBe(RaftErrorCode.ConfChangePending);
    cluster.stabilize();
    expect(membership(leader.status().confState)).toEqual({ voters: [1, 2, 3], outgoing: [], learners: [4] });
    expect(leader.proposeConfChange(confChange(ConfChangeTransition.Auto, addLearner(5)))).toBeNull();
  });

  it('a new leader refuses a change until it has committed an entry of its own term', () => {
    const cluster = new Cluster();
    const appendsLost = cluster.dropTypes(MessageType.Append);
    cluster.elect(1);
    const leader = cluster.node(1);
    const refusal = leader.raw.proposeConfChange(confChange(ConfChangeTransition.Auto, addLearner(4)));
    expect(refusal?.code).toBe(RaftErrorCode.ConfChangePending);
    cluster.heal(appendsLost);
    cluster.tickUntil(() => leader.commit() === leader.storage.lastIndex(), ELECTION_TICKS, [1]);
    expect(leader.raw.proposeConfChange(confChange(ConfChangeTransition.Auto, addLearner(4)))).toBeNull();
  });

  it('removes the leader: it can no longer propose, and the others elect a leader and go on', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    expect(cluster.node(1).raw.proposeConfChange(confChange(ConfChangeTransition.Auto, removeNode(1)))).toBeNull();
    cluster.stabilize();
    for (const id of [2, 3]) expect(membership(cluster.node(id).raw.status().confState).voters).toEqual([2, 3]);
    expect(cluster.propose(1, 'from the removed node')?.code).toBe(RaftErrorCode.NotMember);

    // The removed node goes away; the remaining two elect one of themselves.
    cluster.isolate(1);
    cluster.tickUntil(() => [2, 3].some((id) => cluster.node(id).state() === StateType.Leader), 4 * ELECTION_TICKS, [2, 3]);
    const newLeader = [2, 3].find((id) => cluster.node(id).state() === StateType.Leader) ?? 0;
    expect(cluster.propose(newLeader, 'after the removal')).toBeNull();
    cluster.stabilize();
    for (const id of [2, 3]) expect(cluster.node(id).texts()).toEqual(['after the removal']);
  });
});
