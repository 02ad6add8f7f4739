// Learners (Ongaro's thesis §4.2.1, etcd's learners): members that receive the log but never
// vote, never campaign and never count toward a quorum, until they are promoted.

import { describe, expect, it } from 'vitest';
import { ConfChangeTransition, MessageType, RaftErrorCode, StateType, nodeId } from '../../src/raft/index.js';
import { Cluster, ELECTION_TICKS, PAPER_RAFT, addVoter, confChange } from './harness.js';

const sortedIds = (ids: readonly number[]): number[] => [...ids].sort((a, b) => a - b);

describe('learners', () => {
  it('a learner receives and applies the log', () => {
    const cluster = new Cluster({ learners: [4] });
    cluster.elect(1);
    for (const text of ['a', 'b']) cluster.propose(1, text);
    cluster.stabilize();
    expect(cluster.node(4).texts()).toEqual(['a', 'b']);
    expect(cluster.node(1).raw.status().progress.get(nodeId(4))?.isLearner).toBe(true);
  });

  it('a candidate does not ask a learner for its vote, and voters alone decide the election', () => {
    const cluster = new Cluster({ learners: [4], settings: PAPER_RAFT });
    cluster.isolate(2);
    cluster.isolate(3);
    // Node 1 and learner 4 can talk, but one vote of three voters is no majority.
    cluster.node(1).raw.campaign();
    cluster.stabilize();
    expect(cluster.node(1).state()).not.toBe(StateType.Leader);
    cluster.heal();
    cluster.elect(1);
    expect(cluster.sent({ type: MessageType.Vote, to: 4 })).toEqual([]);
    expect(cluster.sent({ type: MessageType.VoteResponse, from: 4 })).toEqual([]);
  });

  it('a leader does not count a learner toward commitment', () => {
    const cluster = new Cluster({ learners: [4] });
    cluster.elect(1);
    const committed = cluster.node(1).commit();
    cluster.isolate(2);
    cluster.isolate(3);
    cluster.propose(1, 'only the learner has it');
    cluster.stabilize();
    const leader = cluster.node(1);
    expect(leader.raw.status().progress.get(nodeId(4))?.match).toBe(leader.storage.lastIndex());
    expect(leader.commit()).toBe(committed);
    expect(cluster.node(4).texts()).toEqual([]);
  });

  it('a learner never campaigns, however many election timeouts pass', () => {
    const cluster = new Cluster({ learners: [4] });
    cluster.tick(10 * ELECTION_TICKS, [4]);
    cluster.node(4).raw.campaign();
    cluster.stabilize();
    expect(cluster.sent({ from: 4 })).toEqual([]);
    expect(cluster.node(4).state()).toBe(StateType.Follower);
    expect(cluster.node(4).term()).toBe(0);
  });

  it('a learner promoted to voter becomes a full member: it can lead', () => {
    const cluster = new Cluster({ learners: [4] });
    cluster.elect(1);
    expect(cluster.node(1).raw.transferLeadership(nodeId(4))?.code).toBe(RaftErrorCode.TransferToLearner);
    expect(cluster.node(1).raw.proposeConfChange(confChange(ConfChangeTransition.Auto, addVoter(4)))).toBeNull();
    cluster.stabilize();
    for (const id of cluster.ids()) {
      const { voters, learners, votersOutgoing } = cluster.node(id).raw.status().confState;
      expect({ voters: sortedIds(voters), learners, votersOutgoing }).toEqual({ voters: [1, 2, 3, 4], learners: [], votersOutgoing: [] });
    }
    expect(cluster.node(1).raw.transferLeadership(nodeId(4))).toBeNull();
    cluster.stabilize();
    expect(cluster.leader()).toBe(4);
  });

  it('a learner promoted without hearing of it still votes when asked, so the group stays available', () => {
    // As etcd's raft explains: a promotion can commit on the old voters alone. If the leader
    // then fails, the remaining voter needs the vote of the promoted node, which still
    // believes it is a learner and will only learn otherwise from a new leader.
    const cluster = new Cluster({ voters: 2, learners: [3] });
    cluster.elect(1);
    const learnerAway = cluster.isolate(3);
    expect(cluster.node(1).raw.proposeConfChange(confChange(ConfChangeTransition.Auto, addVoter(3)))).toBeNull();
    cluster.stabilize();
    expect(sortedIds(cluster.node(2).raw.status().confState.voters)).toEqual([1, 2, 3]);
    expect(cluster.node(3).raw.status().confState.learners).toEqual([3]);

    cluster.heal(learnerAway);
    cluster.isolate(1);
    cluster.tickUntil(() => cluster.node(2).state() === StateType.Leader, 10 * ELECTION_TICKS, [2, 3]);
    cluster.stabilize();
    expect(sortedIds(cluster.node(3).raw.status().confState.voters)).toEqual([1, 2, 3]);
  });
});
