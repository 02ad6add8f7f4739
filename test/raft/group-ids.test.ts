// Group ids: one process may host many Raft groups, so every message names its group and a
// node refuses a message of another group.

import { describe, expect, it } from 'vitest';
import { MessageType, RaftErrorCode, groupId, logIndex, message, nodeId, term } from '../../src/raft/index.js';
import { Cluster, ELECTION_TICKS, encodeText } from './harness.js';

describe('group ids', () => {
  it('every message a node emits carries its group id', () => {
    const cluster = new Cluster({ groupId: 7, learners: [4] });
    cluster.elect(1);
    cluster.propose(2, 'forwarded');
    cluster.node(3).raw.readIndex(encodeText('read'));
    cluster.stabilize();
    cluster.tick(ELECTION_TICKS);
    cluster.node(1).raw.transferLeadership(nodeId(2));
    cluster.stabilize();
    const types = new Set(cluster.trace.map((record) => record.message.type));
    for (const type of [MessageType.PreVote, MessageType.Vote, MessageType.Append, MessageType.Heartbeat, MessageType.ReadIndex, MessageType.TimeoutNow]) {
      expect(types).toContain(type);
    }
    expect(new Set(cluster.trace.map((record) => record.message.groupId))).toEqual(new Set([7]));
  });

  it('a message of another group is refused with WrongGroup and changes nothing', () => {
    const cluster = new Cluster({ groupId: 7 });
    cluster.elect(1);
    const follower = cluster.node(2);
    const statusBefore = follower.raw.status();
    const foreignAppend = message({
      type: MessageType.Append,
      groupId: groupId(8),
      from: nodeId(3),
      to: nodeId(2),
      term: term(statusBefore.hardState.term + 5),
      index: logIndex(0),
      logTerm: term(0),
    });
    expect(cluster.deliver(foreignAppend)?.code).toBe(RaftErrorCode.WrongGroup);
    expect(follower.raw.status().hardState).toEqual(statusBefore.hardState);
    expect(follower.raw.status().softState).toEqual(statusBefore.softState);
    expect(follower.raw.hasReady()).toBe(false);
  });

  it('a local-only message arriving from the network is refused', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    for (const type of [MessageType.Hup, MessageType.Beat, MessageType.CheckQuorum, MessageType.Unreachable, MessageType.SnapshotStatus]) {
      const local = message({ type, groupId: groupId(0), from: nodeId(3), to: nodeId(1), term: term(cluster.node(1).term()) });
      expect(cluster.deliver(local)?.code).toBe(RaftErrorCode.LocalMessageFromPeer);
    }
    expect(cluster.leader()).toBe(1);
  });
});
