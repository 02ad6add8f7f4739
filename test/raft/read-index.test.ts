// Linearizable reads by ReadIndex (Ongaro's thesis §6.4): the leader answers with its commit
// index only once it knows it is still the leader and has committed an entry of its term.

import { describe, expect, it } from 'vitest';
import {
  MemoryStorage,
  MessageType,
  RaftError,
  RaftErrorCode,
  RawNode,
  ReadOnlyOption,
  SeededRandom,
  StateType,
  defaultConfig,
  nodeId,
} from '../../src/raft/index.js';
import type { ReadState } from '../../src/raft/index.js';
import { Cluster, ELECTION_TICKS, decodeText, encodeText } from './harness.js';

const contexts = (readStates: readonly ReadState[]): string[] => readStates.map((read) => decodeText(read.context));

describe('ReadIndex', () => {
  it('a new leader answers a read only after it has committed an entry of its own term', () => {
    const cluster = new Cluster();
    const appendsLost = cluster.dropTypes(MessageType.Append);
    cluster.elect(1);
    const leader = cluster.node(1);
    const noopIndex = leader.storage.lastIndex();
    expect(leader.raw.readIndex(encodeText('early read'))).toBeNull();
    cluster.tick(3, [1]);
    expect(leader.readStates).toEqual([]);

    cluster.heal(appendsLost);
    cluster.tickUntil(() => leader.readStates.length > 0, ELECTION_TICKS, [1]);
    expect(contexts(leader.readStates)).toEqual(['early read']);
    expect(leader.readStates[0]?.index).toBeGreaterThanOrEqual(noopIndex);
  });

  it('reads queued before the first commit of the term are all answered, in order, with one index', () => {
    const cluster = new Cluster();
    const appendsLost = cluster.dropTypes(MessageType.Append);
    cluster.elect(1);
    const leader = cluster.node(1);
    for (const name of ['first', 'second', 'third']) leader.raw.readIndex(encodeText(name));
    cluster.heal(appendsLost);
    cluster.tickUntil(() => leader.readStates.length === 3, ELECTION_TICKS, [1]);
    expect(contexts(leader.readStates)).toEqual(['first', 'second', 'third']);
    expect(new Set(leader.readStates.map((read) => read.index))).toEqual(new Set([leader.commit()]));
  });

  it('a safe read waits for a heartbeat round in which a quorum confirms the leadership', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    const leader = cluster.node(1);
    const heartbeatsLost = cluster.dropTypes(MessageType.Heartbeat);
    leader.raw.readIndex(encodeText('safe read'));
    cluster.tick(3, [1]);
    expect(leader.readStates).toEqual([]);
    const carriesRead = cluster.sent({ type: MessageType.Heartbeat, from: 1 }).some((m) => decodeText(m.context) === 'safe read');
    expect(carriesRead).toBe(true);

    cluster.heal(heartbeatsLost);
    cluster.tickUntil(() => leader.readStates.length > 0, ELECTION_TICKS, [1]);
    expect(contexts(leader.readStates)).toEqual(['safe read']);
    expect(leader.readStates[0]?.index).toBe(leader.commit());
  });

  it('a partitioned old leader neither commits writes nor answers reads, while the majority moves on', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    const oldLeader = cluster.node(1);
    const commitBefore = oldLeader.commit();
    cluster.isolate(1);
    cluster.tickUntil(() => [2, 3].includes(cluster.leader() ?? 0), 4 * ELECTION_TICKS, [2, 3]);
    // Node 1 has not ticked, so it still believes it leads.
    expect(oldLeader.state()).toBe(StateType.Leader);
    expect(cluster.propose(1, 'write to the old leader')).toBeNull();
    expect(oldLeader.raw.readIndex(encodeText('stale read'))).toBeNull();
    expect(cluster.propose(cluster.leader() ?? 0, 'write to the new leader')).toBeNull();
    cluster.stabilize();
    expect(oldLeader.commit()).toBe(commitBefore);
    expect(oldLeader.readStates).toEqual([]);

    cluster.heal();
    cluster.tick(3 * ELECTION_TICKS);
    expect(oldLeader.readStates).toEqual([]);
    for (const id of cluster.ids()) expect(cluster.node(id).texts()).toEqual(['write to the new leader']);
  });

  it('lease-based reads are refused by the config without check-quorum', () => {
    const config = (checkQuorum: boolean) =>
      defaultConfig({
        id: nodeId(1),
        storage: new MemoryStorage(),
        random: new SeededRandom(1),
        readOnlyOption: ReadOnlyOption.LeaseBased,
        checkQuorum,
      });
    let refusal: unknown;
    try {
      new RawNode(config(false));
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(RaftError);
    expect((refusal as RaftError).code).toBe(RaftErrorCode.InvalidConfig);
    expect(() => new RawNode(config(true))).not.toThrow();
  });

  it('a lease-based leader answers from its lease, without a heartbeat round', () => {
    const cluster = new Cluster({ settings: { readOnlyOption: ReadOnlyOption.LeaseBased } });
    cluster.elect(1);
    cluster.dropTypes(MessageType.Heartbeat);
    const leader = cluster.node(1);
    leader.raw.readIndex(encodeText('lease read'));
    cluster.stabilize();
    expect(contexts(leader.readStates)).toEqual(['lease read']);
    expect(leader.readStates[0]?.index).toBe(leader.commit());
  });

  it('a follower forwards its read to the leader and answers with the leader commit index', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    const follower = cluster.node(2);
    expect(follower.raw.readIndex(encodeText('follower read'))).toBeNull();
    cluster.stabilize();
    expect(cluster.sent({ type: MessageType.ReadIndex, from: 2, to: 1 })).toHaveLength(1);
    expect(cluster.sent({ type: MessageType.ReadIndexResponse, from: 1, to: 2 })).toHaveLength(1);
    expect(contexts(follower.readStates)).toEqual(['follower read']);
    expect(follower.readStates[0]?.index).toBe(cluster.node(1).commit());
    expect(cluster.node(1).readStates).toEqual([]);
  });

  it('a single-voter leader answers at once, without sending anything', () => {
    const cluster = new Cluster({ voters: 1 });
    cluster.elect(1);
    const messagesBefore = cluster.trace.length;
    cluster.node(1).raw.readIndex(encodeText('solo read'));
    cluster.stabilize();
    expect(contexts(cluster.node(1).readStates)).toEqual(['solo read']);
    expect(cluster.trace.length).toBe(messagesBefore);
  });
});
