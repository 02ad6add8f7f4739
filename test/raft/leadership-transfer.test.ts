// Leadership transfer (Ongaro's thesis §3.10): the leader brings the target up to date, then
// tells it to start an election at once with TimeoutNow.

import { describe, expect, it } from 'vitest';
import { MessageType, NO_NODE, RaftErrorCode, StateType, nodeId } from '../../src/raft/index.js';
import { Cluster, ELECTION_TICKS } from './harness.js';

describe('leadership transfer', () => {
  it('hands leadership to a caught-up follower, which wins the next term at once', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    const termBefore = cluster.node(1).term();
    expect(cluster.node(1).raw.transferLeadership(nodeId(2))).toBeNull();
    cluster.stabilize();
    expect(cluster.sent({ type: MessageType.TimeoutNow, from: 1, to: 2 })).toHaveLength(1);
    expect(cluster.leader()).toBe(2);
    expect(cluster.node(2).term()).toBe(termBefore + 1);
    expect(cluster.node(1).raw.status().softState).toEqual({ lead: 2, state: StateType.Follower });
  });

  it('catches a lagging target up before it sends TimeoutNow', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    const partition = cluster.isolate(3);
    for (const text of ['a', 'b', 'c']) cluster.propose(1, text);
    cluster.stabilize();
    cluster.heal(partition);
    const lastIndex = cluster.node(1).storage.lastIndex();
    expect(cluster.node(1).raw.transferLeadership(nodeId(3))).toBeNull();
    cluster.tickUntil(() => cluster.leader() === 3, ELECTION_TICKS - 1, [1]);

    const sequenceOf = (predicate: (record: (typeof cluster.trace)[number]) => boolean) =>
      cluster.trace.find(predicate)?.sequence ?? Infinity;
    const caughtUp = sequenceOf((r) => r.message.type === MessageType.AppendResponse && r.message.from === 3 && !r.message.reject && r.message.index >= lastIndex);
    const timeoutNow = sequenceOf((r) => r.message.type === MessageType.TimeoutNow);
    expect(caughtUp).toBeLessThan(timeoutNow);
    expect(cluster.node(3).texts()).toEqual(['a', 'b', 'c']);
  });

  it('refuses a learner as the target, and an unknown node', () => {
    const cluster = new Cluster({ learners: [4] });
    cluster.elect(1);
    expect(cluster.node(1).raw.transferLeadership(nodeId(4))?.code).toBe(RaftErrorCode.TransferToLearner);
    expect(cluster.node(1).raw.transferLeadership(nodeId(9))?.code).toBe(RaftErrorCode.UnknownNode);
    cluster.stabilize();
    expect(cluster.node(1).raw.status().leadTransferee).toBe(NO_NODE);
    expect(cluster.sent({ type: MessageType.TimeoutNow })).toEqual([]);
    expect(cluster.leader()).toBe(1);
  });

  it('drops proposals while a transfer is under way, and aborts it after an election timeout', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    // The target is unreachable, so the transfer cannot finish.
    cluster.isolate(3);
    expect(cluster.node(1).raw.transferLeadership(nodeId(3))).toBeNull();
    cluster.stabilize();
    expect(cluster.node(1).raw.status().leadTransferee).toBe(3);
    expect(cluster.propose(1, 'during the transfer')?.code).toBe(RaftErrorCode.TransferInProgress);

    cluster.tickUntil(() => cluster.node(1).raw.status().leadTransferee === NO_NODE, ELECTION_TICKS, [1]);
    expect(cluster.leader()).toBe(1);
    expect(cluster.propose(1, 'after the transfer was aborted')).toBeNull();
  });

  it('a follower forwards a transfer request to the leader', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    expect(cluster.node(2).raw.transferLeadership(nodeId(3))).toBeNull();
    cluster.stabilize();
    // As in etcd, a TransferLeader message names the target in `from`.
    expect(cluster.sent({ type: MessageType.TransferLeader, to: 1 }).map((m) => m.from)).toEqual([3]);
    expect(cluster.leader()).toBe(3);
  });

  it('a node that knows no leader refuses to transfer with NoLeader', () => {
    const cluster = new Cluster();
    expect(cluster.node(2).raw.transferLeadership(nodeId(3))?.code).toBe(RaftErrorCode.NoLeader);
  });
});
