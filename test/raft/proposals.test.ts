// Proposals: any member may propose; followers forward to the leader, a node without a leader
// fails fast, and a leader bounds the bytes it holds uncommitted.

import { describe, expect, it } from 'vitest';
import { MessageType, RaftErrorCode } from '../../src/raft/index.js';
import { Cluster, ELECTION_TICKS, encodeText } from './harness.js';

describe('proposals', () => {
  it('a follower forwards a proposal to the leader, and it commits on every node', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    expect(cluster.propose(2, 'proposed at 2')).toBeNull();
    cluster.stabilize();
    expect(cluster.sent({ type: MessageType.Propose, from: 2, to: 1 })).toHaveLength(1);
    for (const id of cluster.ids()) expect(cluster.node(id).texts()).toEqual(['proposed at 2']);
  });

  it('a node that knows no leader refuses a proposal with NoLeader', () => {
    const cluster = new Cluster();
    expect(cluster.propose(1, 'too early')?.code).toBe(RaftErrorCode.NoLeader);
    expect(cluster.node(1).raw.proposeBatch([encodeText('too early')])?.code).toBe(RaftErrorCode.NoLeader);
  });

  it('a follower configured not to forward refuses with ForwardingDisabled', () => {
    const cluster = new Cluster({ settings: { disableProposalForwarding: true } });
    cluster.elect(1);
    expect(cluster.propose(2, 'not forwarded')?.code).toBe(RaftErrorCode.ForwardingDisabled);
    cluster.stabilize();
    expect(cluster.sent({ type: MessageType.Propose })).toEqual([]);
    expect(cluster.propose(1, 'at the leader')).toBeNull();
  });

  it('a leader refuses proposals beyond its uncommitted byte limit, and accepts again once they commit', () => {
    const cluster = new Cluster({ settings: { uncommittedBytesMax: 100 } });
    cluster.elect(1);
    const followersDown = [cluster.isolate(2), cluster.isolate(3)];
    const fortyBytes = 'x'.repeat(40);
    expect(cluster.propose(1, fortyBytes)).toBeNull();
    expect(cluster.propose(1, fortyBytes)).toBeNull();
    expect(cluster.propose(1, fortyBytes)?.code).toBe(RaftErrorCode.UncommittedLimit);
    // An empty proposal adds no bytes, so it always passes (as the leader's no-op does).
    expect(cluster.propose(1, '')).toBeNull();

    for (const rule of followersDown) cluster.heal(rule);
    cluster.tickUntil(() => cluster.node(1).texts().length === 2, ELECTION_TICKS, [1]);
    expect(cluster.propose(1, fortyBytes)).toBeNull();
  });

  it('a batch is accepted or refused as a whole', () => {
    const cluster = new Cluster({ settings: { uncommittedBytesMax: 100 } });
    cluster.elect(1);
    cluster.isolate(2);
    cluster.isolate(3);
    expect(cluster.propose(1, 'x'.repeat(40))).toBeNull();
    cluster.stabilize();
    const before = cluster.node(1).storage.lastIndex();
    const batch = ['a', 'b', 'c'].map((letter) => encodeText(letter.repeat(40)));
    expect(cluster.node(1).raw.proposeBatch(batch)?.code).toBe(RaftErrorCode.UncommittedLimit);
    cluster.stabilize();
    expect(cluster.node(1).storage.lastIndex()).toBe(before);
    expect(cluster.node(1).raw.proposeBatch(batch.slice(0, 1))).toBeNull();
    cluster.stabilize();
    expect(cluster.node(1).storage.lastIndex()).toBe(before + 1);
  });
});
