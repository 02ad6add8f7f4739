// Quick end-to-end checks of RawNode through a tiny message pump: elections, replication,
// reads and the errors a caller can meet, before the full scenario suites run.

import { describe, expect, it } from 'vitest';
import { RaftErrorCode } from '../../../src/raft/errors.js';
import { EntryType, MessageType, StateType, groupId, message, nodeId } from '../../../src/raft/types.js';
import { MiniCluster, appliedTexts, text } from './mini-cluster.js';

describe('RawNode smoke', () => {
  it('a single node elects itself and commits its proposal', () => {
    const cluster = new MiniCluster(1);
    cluster.elect(1);
    expect(cluster.get(1).node.propose(text('x'))).toBeNull();
    cluster.pump();
    expect(appliedTexts(cluster.get(1))).toEqual(['x']);
    expect(cluster.get(1).storage.lastIndex()).toBe(2);
  });

  it('three nodes elect exactly one leader by ticking, and replicate proposals made anywhere', () => {
    const cluster = new MiniCluster(3);
    for (let tick = 0; tick < 40 && cluster.leaders().length === 0; tick++) cluster.tick(1);
    expect(cluster.leaders()).toHaveLength(1);
    const leader = cluster.leaders()[0]!;
    const follower = leader === 1 ? 2 : 1;
    expect(cluster.get(leader).node.propose(text('a'))).toBeNull();
    expect(cluster.get(follower).node.propose(text('b'))).toBeNull();
    cluster.pump();
    // A heartbeat carries the final commit index to the followers.
    cluster.tick(1);
    for (const member of cluster.members.values()) expect(appliedTexts(member)).toEqual(['a', 'b']);
  });

  it('a new leader appends an empty entry of its term first', () => {
    const cluster = new MiniCluster(3);
    cluster.elect(2);
    const first = cluster.get(2).applied[0]!;
    expect(first.type).toBe(EntryType.Normal);
    expect(first.data.byteLength).toBe(0);
    expect(first.term).toBe(cluster.get(2).node.status().hardState.term);
  });

  it('a proposal without a leader fails fast with NoLeader', () => {
    const cluster = new MiniCluster(3);
    expect(cluster.get(2).node.propose(text('x'))?.code).toBe(RaftErrorCode.NoLeader);
  });

  it('a follower that does not forward refuses proposals with ForwardingDisabled', () => {
    const cluster = new MiniCluster(3, { disableProposalForwarding: true });
    cluster.elect(1);
    expect(cluster.get(2).node.propose(text('x'))?.code).toBe(RaftErrorCode.ForwardingDisabled);
    expect(cluster.get(1).node.propose(text('x'))).toBeNull();
  });

  it('a batch is accepted or refused whole', () => {
    const cluster = new MiniCluster(3);
    cluster.elect(1);
    expect(cluster.get(1).node.proposeBatch([text('a'), text('b'), text('c')])).toBeNull();
    cluster.pump();
    cluster.tick(1);
    expect(appliedTexts(cluster.get(3))).toEqual(['a', 'b', 'c']);
  });

  it('messages of another group and local-only messages from the network are refused', () => {
    const cluster = new MiniCluster(3);
    const node = cluster.get(1).node;
    expect(node.step(message({ type: MessageType.Heartbeat, groupId: groupId(7), from: nodeId(2), to: nodeId(1) }))?.code).toBe(
      RaftErrorCode.WrongGroup,
    );
    expect(node.step(message({ type: MessageType.Hup, from: nodeId(2), to: nodeId(1) }))?.code).toBe(
      RaftErrorCode.LocalMessageFromPeer,
    );
    expect(node.status().softState.state).toBe(StateType.Follower);
  });

  it('a linearizable read at a follower is answered with the leader commit index', () => {
    const cluster = new MiniCluster(3);
    cluster.elect(1);
    expect(cluster.get(3).node.readIndex(new Uint8Array([9]))).toBeNull();
    cluster.pump();
    const leaderCommit = cluster.get(1).node.status().hardState.commit;
    expect(cluster.get(3).readStates).toEqual([{ index: leaderCommit, context: new Uint8Array([9]) }]);
  });

  it('responses that promise durable state wait for persistence; requests do not', () => {
    const cluster = new MiniCluster(3);
    cluster.get(1).node.campaign();
    const candidate = cluster.get(1).node.ready();
    // A pre-candidate changes no durable state: it neither bumps its term nor votes.
    expect(candidate.mustSync).toBe(false);
    expect(candidate.messages.map((m) => m.type)).toEqual([MessageType.PreVote, MessageType.PreVote]);
    cluster.get(2).node.step(candidate.messages[0]!);
    const voter = cluster.get(2).node.ready();
    expect(voter.messages).toEqual([]);
    expect(voter.messagesAfterPersist.map((m) => m.type)).toEqual([MessageType.PreVoteResponse]);
  });
});
