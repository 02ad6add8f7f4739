// Leader election (Raft paper §5.2 and §5.4.1).

import { describe, expect, it } from 'vitest';
import { EntryType, MessageType, StateType, groupId, logIndex, message, nodeId, term } from '../../src/raft/index.js';
import { Cluster, ELECTION_TICKS, PAPER_RAFT } from './harness.js';

describe('leader election', () => {
  it('elects exactly one leader, and every node learns who it is', () => {
    const cluster = new Cluster();
    cluster.tickUntil(() => cluster.leader() !== undefined, 3 * ELECTION_TICKS);
    const leader = cluster.leader();
    const leaders = cluster.ids().filter((id) => cluster.node(id).state() === StateType.Leader);
    expect(leaders).toEqual([leader]);
    for (const id of cluster.ids()) expect(cluster.node(id).raw.status().softState.lead).toBe(leader);
  });

  it('a node times out after a randomized election timeout in [electionTicks, 2 * electionTicks)', () => {
    const waits: number[] = [];
    for (let seed = 1; seed <= 30; seed++) {
      // An isolated node never wins, so each timeout starts one more term: the gaps between
      // its term changes are its successive randomized timeouts.
      const cluster = new Cluster({ seed, settings: PAPER_RAFT });
      cluster.isolate(1);
      const node = cluster.node(1);
      let termStartedAt = 0;
      for (let tick = 1; tick <= 10 * ELECTION_TICKS; tick++) {
        const before = node.term();
        cluster.tick(1, [1]);
        if (node.term() === before) continue;
        waits.push(tick - termStartedAt);
        termStartedAt = tick;
      }
    }
    expect(waits.length).toBeGreaterThan(30 * 5);
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(ELECTION_TICKS);
    expect(Math.max(...waits)).toBeLessThan(2 * ELECTION_TICKS);
    // Randomized, not fixed: every timeout in the range occurs.
    expect(new Set(waits).size).toBe(ELECTION_TICKS);
  });

  it('a candidate whose log is behind loses: a voter refuses a less up-to-date log', () => {
    const cluster = new Cluster({ settings: PAPER_RAFT });
    cluster.elect(1);
    const partition = cluster.isolate(3);
    cluster.propose(1, 'x');
    cluster.stabilize();
    cluster.heal(partition);
    cluster.isolate(1);

    cluster.node(3).raw.campaign();
    cluster.stabilize();
    expect(cluster.node(3).state()).not.toBe(StateType.Leader);
    const answer = cluster.sent({ type: MessageType.VoteResponse, from: 2, to: 3 }).at(-1);
    expect(answer?.reject).toBe(true);

    // The node that holds the committed entry can win, and the entry survives.
    cluster.elect(2);
    cluster.stabilize();
    expect(cluster.node(3).texts()).toEqual(['x']);
  });

  it('a candidate counts only votes of its current term', () => {
    const cluster = new Cluster({ voters: 5, settings: PAPER_RAFT });
    // Nobody hears the candidate; the test plays the voters.
    cluster.dropTypes(MessageType.Vote);
    const candidate = cluster.node(1);
    candidate.raw.campaign();
    cluster.stabilize();
    candidate.raw.campaign();
    cluster.stabilize();
    const currentTerm = candidate.term();
    const grant = (from: number, voteTerm: number) =>
      message({ type: MessageType.VoteResponse, groupId: groupId(0), from: nodeId(from), to: nodeId(1), term: term(voteTerm) });

    cluster.deliver(grant(2, currentTerm - 1));
    cluster.deliver(grant(3, currentTerm - 1));
    cluster.stabilize();
    expect(candidate.state()).toBe(StateType.Candidate);

    cluster.deliver(grant(2, currentTerm));
    cluster.deliver(grant(3, currentTerm));
    cluster.stabilize();
    expect(candidate.state()).toBe(StateType.Leader);
  });

  it('a node grants at most one vote per term, and remembers it across a restart', () => {
    const cluster = new Cluster({ settings: PAPER_RAFT });
    // Node 3's answers are recorded in the trace but go nowhere; the test plays the candidates.
    cluster.isolate(3);
    const request = (from: number) =>
      message({ type: MessageType.Vote, groupId: groupId(0), from: nodeId(from), to: nodeId(3), term: term(1), index: logIndex(0), logTerm: term(0) });
    const answersTo = (candidate: number) => cluster.sent({ type: MessageType.VoteResponse, from: 3, to: candidate }).map((m) => m.reject);

    cluster.deliver(request(1));
    cluster.stabilize();
    cluster.deliver(request(2));
    cluster.stabilize();
    expect(answersTo(1)).toEqual([false]);
    expect(answersTo(2)).toEqual([true]);

    cluster.restart(3);
    expect(cluster.node(3).raw.status().hardState).toMatchObject({ term: 1, vote: 1 });
    cluster.deliver(request(2));
    cluster.stabilize();
    cluster.deliver(request(1));
    cluster.stabilize();
    expect(answersTo(2)).toEqual([true, true]);
    // Granting the same candidate again is not a second vote (its request may have been resent).
    expect(answersTo(1)).toEqual([false, false]);
  });

  it('a new leader appends an empty entry of its own term, and every node applies it', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    const leader = cluster.node(1);
    const last = leader.storage.lastIndex();
    const [noop] = cluster.persistedEntries(1, last);
    expect(noop).toMatchObject({ index: last, term: leader.term(), type: EntryType.Normal });
    expect(noop?.data.byteLength).toBe(0);
    for (const id of cluster.ids()) expect(cluster.node(id).appliedIndex).toBe(last);
  });
});
