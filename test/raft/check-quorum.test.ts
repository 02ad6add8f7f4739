// Check-quorum and the leader lease (Ongaro's thesis §6.2 and §9.6): a leader that cannot reach
// a quorum steps down, and followers that hear from a leader do not help depose it.

import { describe, expect, it } from 'vitest';
import { MessageType, StateType } from '../../src/raft/index.js';
import { Cluster, ELECTION_TICKS, PAPER_RAFT } from './harness.js';

describe('check-quorum', () => {
  it('a leader that hears from a quorum stays leader', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    cluster.tick(5 * ELECTION_TICKS);
    expect(cluster.leader()).toBe(1);
    expect(cluster.node(1).softStates.at(-1)?.state).toBe(StateType.Leader);
  });

  it('an isolated leader steps down once a full election timeout passes without hearing from a quorum', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    cluster.tick(3 * ELECTION_TICKS);
    cluster.isolate(1);
    // The check runs once per election timeout over what the leader heard since the previous
    // check, so a leader cut off just after a check passes it once more: at most two timeouts.
    const ticks = cluster.tickUntil(() => cluster.node(1).state() !== StateType.Leader, 2 * ELECTION_TICKS, [1]);
    expect(ticks).toBeGreaterThanOrEqual(ELECTION_TICKS);
    expect(cluster.node(1).raw.status().softState.lead).toBe(0);
  });

  it('a follower that heard from the leader within the election timeout ignores a vote request (leader lease)', () => {
    const cluster = new Cluster({ settings: { preVote: false, checkQuorum: true } });
    cluster.elect(1);
    const leaderTerm = cluster.node(1).term();
    cluster.node(3).raw.campaign();
    cluster.stabilize();
    expect(cluster.sent({ type: MessageType.VoteResponse, from: 2, to: 3 })).toEqual([]);
    expect(cluster.node(2).term()).toBe(leaderTerm);
    expect(cluster.node(2).raw.status().softState.lead).toBe(1);
    expect(cluster.node(1).state()).toBe(StateType.Leader);
  });

  it('without check-quorum the same vote request is granted and the leader is deposed', () => {
    const cluster = new Cluster({ settings: PAPER_RAFT });
    cluster.elect(1);
    const leaderTerm = cluster.node(1).term();
    cluster.node(3).raw.campaign();
    cluster.stabilize();
    expect(cluster.sent({ type: MessageType.VoteResponse, from: 2, to: 3 }).map((m) => m.reject)).toEqual([false]);
    expect(cluster.node(2).term()).toBe(leaderTerm + 1);
    expect(cluster.leader()).toBe(3);
  });

  it('a learner that still answers does not keep an isolated leader in power', () => {
    const cluster = new Cluster({ learners: [4] });
    cluster.elect(1);
    cluster.isolate(2);
    cluster.isolate(3);
    cluster.tickUntil(() => cluster.node(1).state() !== StateType.Leader, 2 * ELECTION_TICKS, [1]);
    expect(cluster.sent({ type: MessageType.HeartbeatResponse, from: 4 }).length).toBeGreaterThan(0);
  });
});
