// Membership through RawNode: joint consensus, learners, the one-change-at-a-time rule, and
// the limits and refusals around them.

import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/raft/config.js';
import { RaftErrorCode } from '../../../src/raft/errors.js';
import { SeededRandom } from '../../../src/raft/random.js';
import { RawNode } from '../../../src/raft/raw-node.js';
import type { ConfChange, ConfChangeSingle } from '../../../src/raft/types.js';
import { ConfChangeTransition, ConfChangeType, EntryType, MessageType, StateType, logIndex, nodeId } from '../../../src/raft/types.js';
import { MiniCluster, appliedTexts, text } from './mini-cluster.js';

const change = (transition: ConfChangeTransition, ...changes: ConfChangeSingle[]): ConfChange => ({
  transition,
  changes,
  context: new Uint8Array(),
});
const addVoter = (id: number): ConfChangeSingle => ({ type: ConfChangeType.AddNode, nodeId: nodeId(id) });
const addLearner = (id: number): ConfChangeSingle => ({ type: ConfChangeType.AddLearnerNode, nodeId: nodeId(id) });
const removeNode = (id: number): ConfChangeSingle => ({ type: ConfChangeType.RemoveNode, nodeId: nodeId(id) });

describe('membership changes', () => {
  it('adding a voter passes through joint consensus and leaves it automatically', () => {
    const cluster = new MiniCluster(3);
    cluster.elect(1);
    // A joining node starts empty and learns the membership from a snapshot, so the members
    // must have compacted the log from index 1 (as the storage contract requires).
    for (const member of cluster.members.values()) {
      const applied = member.node.status().applied;
      member.storage.createSnapshot(applied, member.node.status().confState, new Uint8Array());
      member.storage.compact(applied);
    }
    cluster.start(nodeId(4));
    expect(cluster.get(1).node.proposeConfChange(change(ConfChangeTransition.Auto, addVoter(4)))).toBeNull();
    cluster.pump();
    cluster.tick(2);
    const confState = cluster.get(1).node.status().confState;
    expect(confState.voters).toEqual([1, 2, 3, 4]);
    expect(confState.votersOutgoing).toEqual([]);
    // The joining node learned the membership from the log and holds it too.
    expect(cluster.get(4).node.status().confState.voters).toEqual([1, 2, 3, 4]);
    expect(cluster.get(1).node.propose(text('after'))).toBeNull();
    cluster.pump();
    cluster.tick(1);
    expect(appliedTexts(cluster.get(4))).toEqual(['after']);
  });

  it('an explicit joint configuration stays until the empty change leaves it', () => {
    const cluster = new MiniCluster(3);
    cluster.elect(1);
    const leader = cluster.get(1).node;
    expect(leader.proposeConfChange(change(ConfChangeTransition.JointExplicit, removeNode(3)))).toBeNull();
    cluster.pump();
    cluster.tick(2);
    expect(leader.status().confState.votersOutgoing).toEqual([1, 2, 3]);
    expect(leader.proposeConfChange(change(ConfChangeTransition.JointExplicit, addVoter(5)))?.code).toBe(
      RaftErrorCode.ConfChangePending,
    );
    expect(leader.proposeConfChange(change(ConfChangeTransition.JointExplicit))).toBeNull();
    cluster.pump();
    expect(leader.status().confState).toMatchObject({ voters: [1, 2], votersOutgoing: [] });
  });

  it('one change at a time: a second proposal while the first is unapplied is refused', () => {
    const cluster = new MiniCluster(3);
    cluster.elect(1);
    const leader = cluster.get(1).node;
    expect(leader.proposeConfChange(change(ConfChangeTransition.Auto, addLearner(4)))).toBeNull();
    expect(leader.proposeConfChange(change(ConfChangeTransition.Auto, addLearner(5)))?.code).toBe(
      RaftErrorCode.ConfChangePending,
    );
  });

  it('a new leader appends no configuration change before it commits an entry of its term', () => {
    const cluster = new MiniCluster(3, { preVote: false, checkQuorum: false });
    cluster.get(1).node.campaign();
    cluster.pump();
    // Lose the acknowledgements of the new leader's empty entry.
    cluster.dropWhen = (m) => m.type === MessageType.AppendResponse;
    cluster.get(2).node.campaign();
    cluster.pump();
    const leader = cluster.get(2).node;
    expect(leader.status().softState.state).toBe(StateType.Leader);
    expect(leader.proposeConfChange(change(ConfChangeTransition.Auto, addLearner(4)))?.code).toBe(
      RaftErrorCode.ConfChangePending,
    );
  });

  it('invalid changes are refused before they reach the log', () => {
    const cluster = new MiniCluster(1);
    cluster.elect(1);
    expect(cluster.get(1).node.proposeConfChange(change(ConfChangeTransition.Auto, removeNode(1)))?.code).toBe(
      RaftErrorCode.InvalidConfChange,
    );
    expect(cluster.get(1).node.proposeConfChange(change(ConfChangeTransition.Auto))?.code).toBe(
      RaftErrorCode.InvalidConfChange,
    );
  });

  it('a leader that removes itself steps down once the change is applied', () => {
    const cluster = new MiniCluster(3);
    cluster.elect(1);
    expect(cluster.get(1).node.proposeConfChange(change(ConfChangeTransition.Auto, removeNode(1)))).toBeNull();
    cluster.pump();
    cluster.tick(2);
    expect(cluster.get(1).node.status().softState.state).toBe(StateType.Follower);
    expect(cluster.get(1).node.propose(text('x'))?.code).toBe(RaftErrorCode.NotMember);
    cluster.tick(40);
    const leaders = cluster.leaders();
    expect(leaders).toHaveLength(1);
    expect([2, 3]).toContain(leaders[0]);
  });
});

describe('bootstrap', () => {
  it('every initial member writes the same membership entry at index 1 and applies it', () => {
    const cluster = new MiniCluster(3, {}, [], true);
    for (const member of cluster.members.values()) {
      expect(member.storage.lastIndex()).toBe(1);
      expect(member.applied.map((entry) => entry.type)).toEqual([EntryType.ConfChange]);
      expect(member.node.status().confState.voters).toEqual([1, 2, 3]);
      expect(member.node.status().hardState).toEqual({ term: 1, vote: 0, commit: 1 });
    }
    cluster.elect(2);
    expect(cluster.get(2).node.propose(text('x'))).toBeNull();
    cluster.pump();
    cluster.tick(1);
    expect(appliedTexts(cluster.get(1))).toEqual(['x']);
  });

  it('a node that joins later learns the membership from the log, without a snapshot', () => {
    const cluster = new MiniCluster(3, {}, [], true);
    cluster.elect(1);
    cluster.start(nodeId(4));
    expect(cluster.get(1).node.proposeConfChange(change(ConfChangeTransition.Auto, addVoter(4)))).toBeNull();
    cluster.pump();
    cluster.tick(2);
    expect(cluster.get(4).node.status().confState).toMatchObject({ voters: [1, 2, 3, 4], votersOutgoing: [] });
    expect(cluster.get(4).storage.firstIndex()).toBe(1);
  });

  it('a restarted bootstrapped node rebuilds its membership from the log', () => {
    const cluster = new MiniCluster(3, {}, [], true);
    const member = cluster.get(3);
    const applied = member.node.status().applied;
    member.node = new RawNode(defaultConfig({ id: nodeId(3), storage: member.storage, random: new SeededRandom(3), applied }));
    expect(member.node.status().confState.voters).toEqual([1, 2, 3]);
  });

  it('bootstrap refuses a storage that is not empty', () => {
    const cluster = new MiniCluster(3, {}, [], true);
    expect(() => cluster.get(1).node.bootstrap([nodeId(1)])).toThrow(/empty storage/);
    expect(() => new MiniCluster(3).get(1).node.bootstrap([nodeId(1)])).toThrow(/empty storage/);
  });
});

describe('restart', () => {
  it('a node restarted from its applied index keeps the membership it applied after its snapshot', () => {
    const cluster = new MiniCluster(3);
    cluster.elect(1);
    expect(cluster.get(1).node.proposeConfChange(change(ConfChangeTransition.Auto, addLearner(4)))).toBeNull();
    cluster.pump();
    cluster.tick(2);
    const member = cluster.get(2);
    const before = member.node.status();
    expect(before.confState.learners).toEqual([4]);
    member.node = new RawNode(
      defaultConfig({ id: nodeId(2), storage: member.storage, random: new SeededRandom(2), applied: before.applied }),
    );
    expect(member.node.status().confState).toEqual(before.confState);
    expect(member.node.status().hardState).toEqual(before.hardState);
  });
});

describe('restart after a snapshot', () => {
  it('changes already in the snapshot are not replayed, even when the log is kept below it', () => {
    const cluster = new MiniCluster(3);
    cluster.elect(1);
    expect(cluster.get(1).node.proposeConfChange(change(ConfChangeTransition.Auto, addLearner(4)))).toBeNull();
    cluster.pump();
    cluster.tick(2);
    const member = cluster.get(2);
    const before = member.node.status();
    member.storage.createSnapshot(before.applied, before.confState, new Uint8Array());
    // Keep a margin of entries below the snapshot, as servers do for slow followers: here the
    // log keeps the entry that leaves the joint configuration but not the one entering it.
    const enterJoint = member.applied.find((entry) => entry.type === EntryType.ConfChange)!;
    member.storage.compact(enterJoint.index);
    member.node = new RawNode(
      defaultConfig({ id: nodeId(2), storage: member.storage, random: new SeededRandom(2), applied: before.applied }),
    );
    expect(member.node.status().confState).toEqual(before.confState);
  });
});

describe('learners', () => {
  it('a learner receives the log but never campaigns or counts for commit', () => {
    const cluster = new MiniCluster(1, {}, [2]);
    cluster.elect(1);
    expect(cluster.get(1).node.propose(text('v'))).toBeNull();
    cluster.pump();
    cluster.tick(1);
    expect(appliedTexts(cluster.get(2))).toEqual(['v']);
    // However long it hears nothing, a learner does not campaign.
    cluster.dropWhen = () => true;
    for (let i = 0; i < 50; i++) cluster.get(2).node.tick();
    cluster.pump();
    expect(cluster.get(2).node.status().softState.state).toBe(StateType.Follower);
    expect(cluster.get(2).node.campaign()).toBeNull();
    expect(cluster.get(2).node.status().softState.state).toBe(StateType.Follower);
  });

  it('a learner is promoted to voter by a change, and leadership cannot go to a learner', () => {
    const cluster = new MiniCluster(3, {}, [4]);
    cluster.elect(1);
    expect(cluster.get(1).node.transferLeadership(nodeId(4))?.code).toBe(RaftErrorCode.TransferToLearner);
    expect(cluster.get(1).node.transferLeadership(nodeId(9))?.code).toBe(RaftErrorCode.UnknownNode);
    expect(cluster.get(1).node.proposeConfChange(change(ConfChangeTransition.Auto, addVoter(4)))).toBeNull();
    cluster.pump();
    cluster.tick(2);
    expect(cluster.get(1).node.status().confState).toMatchObject({ voters: [1, 2, 3, 4], learners: [] });
    expect(cluster.get(1).node.transferLeadership(nodeId(4))).toBeNull();
    cluster.pump();
    expect(cluster.leaders()).toEqual([4]);
  });
});

describe('limits', () => {
  it('the leader refuses proposals beyond its uncommitted bytes, but the first always fits', () => {
    const cluster = new MiniCluster(3, { uncommittedBytesMax: 10 });
    cluster.elect(1);
    cluster.dropWhen = (m) => m.type === MessageType.AppendResponse;
    const leader = cluster.get(1).node;
    expect(leader.propose(new Uint8Array(20))).toBeNull();
    expect(leader.propose(new Uint8Array(1))?.code).toBe(RaftErrorCode.UncommittedLimit);
    // An empty proposal never counts against the limit.
    expect(leader.propose(new Uint8Array(0))).toBeNull();
    cluster.dropWhen = () => false;
    cluster.tick(2);
    expect(leader.propose(new Uint8Array(1))).toBeNull();
    expect(leader.status().applied).toBeGreaterThanOrEqual(logIndex(3));
  });

  it('proposals are refused while leadership is being transferred', () => {
    const cluster = new MiniCluster(3);
    cluster.elect(1);
    cluster.dropWhen = (m) => m.type === MessageType.TimeoutNow;
    expect(cluster.get(1).node.transferLeadership(nodeId(2))).toBeNull();
    cluster.pump();
    expect(cluster.get(1).node.status().leadTransferee).toBe(2);
    expect(cluster.get(1).node.propose(text('x'))?.code).toBe(RaftErrorCode.TransferInProgress);
    // The transfer is given up after an election timeout.
    cluster.tick(10);
    expect(cluster.get(1).node.status().leadTransferee).toBe(0);
    expect(cluster.get(1).node.propose(text('x'))).toBeNull();
  });
});
