// Pre-vote (Ongaro's thesis §9.6): a node that was cut off polls before it raises its term, so
// rejoining cannot depose a healthy leader.

import { describe, expect, it } from 'vitest';
import { StateType } from '../../src/raft/index.js';
import { Cluster, ELECTION_TICKS } from './harness.js';

/** Elects node 1, cuts node 3 off for five election timeouts while 1 writes, then reconnects it. */
function partitionAndRejoin(preVote: boolean) {
  const cluster = new Cluster({ settings: { preVote, checkQuorum: true } });
  cluster.elect(1);
  const leaderTerm = cluster.node(1).term();
  const leaderSoftStates = cluster.node(1).softStates.length;
  const partition = cluster.isolate(3);
  cluster.propose(1, 'written while 3 was away');
  cluster.stabilize();
  cluster.tick(5 * ELECTION_TICKS);
  const isolatedTerm = cluster.node(3).term();
  cluster.heal(partition);
  cluster.tick(5 * ELECTION_TICKS);
  // Every soft state node 1 reported after it first became leader.
  const leaderChanges = cluster.node(1).softStates.slice(leaderSoftStates).map((soft) => soft.state);
  return { cluster, leaderTerm, isolatedTerm, leaderChanges };
}

describe('pre-vote', () => {
  it('a partitioned node does not raise its term while isolated, and rejoining leaves the leader in place', () => {
    const { cluster, leaderTerm, isolatedTerm, leaderChanges } = partitionAndRejoin(true);
    expect(isolatedTerm).toBe(leaderTerm);
    expect(leaderChanges).toEqual([]);
    expect(cluster.leader()).toBe(1);
    expect(cluster.node(1).term()).toBe(leaderTerm);
    expect(cluster.node(3).texts()).toEqual(['written while 3 was away']);
  });

  it('without pre-vote the same node raises its term while isolated and deposes the leader on rejoining', () => {
    const { cluster, leaderTerm, isolatedTerm, leaderChanges } = partitionAndRejoin(false);
    expect(isolatedTerm).toBeGreaterThan(leaderTerm + 2);
    expect(leaderChanges).toContain(StateType.Follower);
    expect(cluster.node(1).term()).toBeGreaterThanOrEqual(isolatedTerm);
    // Its log is behind, so it could only disrupt, never win.
    expect(cluster.leader()).not.toBe(3);
  });
});
