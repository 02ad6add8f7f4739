// The Ready contract: what must be durable before which message goes out, what changed since the
// last Ready, and how much is handed out at once.

import { describe, expect, it } from 'vitest';
import {
  EMPTY_CONF_STATE,
  EntryType,
  MemoryStorage,
  MessageType,
  RawNode,
  SeededRandom,
  StateType,
  defaultConfig,
  groupId,
  logIndex,
  message,
  nodeId,
  term,
} from '../../src/raft/index.js';
import type { Message, Ready } from '../../src/raft/index.js';
import type { NodeSettings } from './harness.js';
import { encodeText } from './harness.js';

const THREE_VOTERS = { ...EMPTY_CONF_STATE, voters: [nodeId(1), nodeId(2), nodeId(3)] };

function startNode(id: number, voters = THREE_VOTERS, settings: NodeSettings = {}) {
  const storage = new MemoryStorage({ confState: voters });
  const raw = new RawNode(defaultConfig({ id: nodeId(id), storage, random: new SeededRandom(id), ...settings }));
  /**
   * Persists and acknowledges one Ready, as the application would: once its writes are durable,
   * the acknowledgements it addressed to this node itself (a leader's own appends) come back.
   */
  const handle = (): Ready => {
    const ready = raw.ready();
    storage.append(ready.entries);
    if (ready.hardState) storage.setHardState(ready.hardState);
    for (const m of ready.messagesAfterPersist) if (m.to === id) raw.step(m);
    raw.advance(ready);
    return ready;
  };
  return { raw, storage, handle };
}

const fromLeader = (fields: Partial<Message> & Pick<Message, 'type'>): Message =>
  message({ groupId: groupId(0), from: nodeId(1), to: nodeId(2), term: term(1), ...fields });

const types = (messages: readonly Message[]): MessageType[] => messages.map((m) => m.type);

describe('the Ready contract', () => {
  it('a vote is handed out with the hard state that records it, and its answer waits for persistence', () => {
    const voter = startNode(2);
    voter.raw.step(message({ type: MessageType.Vote, groupId: groupId(0), from: nodeId(1), to: nodeId(2), term: term(1) }));
    const ready = voter.handle();
    expect(ready.hardState).toMatchObject({ term: 1, vote: 1 });
    expect(ready.mustSync).toBe(true);
    expect(types(ready.messagesAfterPersist)).toEqual([MessageType.VoteResponse]);
    expect(types(ready.messages)).not.toContain(MessageType.VoteResponse);
  });

  it('appended entries are handed out to persist, and their acknowledgement waits for persistence', () => {
    const follower = startNode(2);
    const entry = { term: term(1), index: logIndex(1), type: EntryType.Normal, data: encodeText('e') };
    follower.raw.step(fromLeader({ type: MessageType.Append, index: logIndex(0), logTerm: term(0), entries: [entry] }));
    const ready = follower.handle();
    expect(ready.entries).toEqual([entry]);
    expect(ready.mustSync).toBe(true);
    expect(ready.messagesAfterPersist.map((m) => [m.type, m.index, m.reject])).toEqual([[MessageType.AppendResponse, 1, false]]);
    expect(types(ready.messages)).not.toContain(MessageType.AppendResponse);
  });

  it('hard and soft state appear only when they changed, and a new commit index alone needs no sync', () => {
    const follower = startNode(2);
    const entry = { term: term(1), index: logIndex(1), type: EntryType.Normal, data: encodeText('e') };
    follower.raw.step(fromLeader({ type: MessageType.Append, index: logIndex(0), logTerm: term(0), entries: [entry] }));
    expect(follower.handle().softState).toMatchObject({ lead: 1 });

    follower.raw.step(fromLeader({ type: MessageType.Heartbeat, commit: logIndex(0) }));
    const unchanged = follower.handle();
    expect({ hardState: unchanged.hardState, softState: unchanged.softState, mustSync: unchanged.mustSync }).toEqual({
      hardState: null,
      softState: null,
      mustSync: false,
    });

    follower.raw.step(fromLeader({ type: MessageType.Heartbeat, commit: logIndex(1) }));
    const committed = follower.handle();
    expect(committed.hardState).toEqual({ term: 1, vote: 0, commit: 1 });
    expect(committed.mustSync).toBe(false);
    expect(committed.committedEntries).toEqual([entry]);
  });

  it('committed entries are handed out in Readys of at most committedBytesPerReadyMax bytes', () => {
    const solo = startNode(1, { ...EMPTY_CONF_STATE, voters: [nodeId(1)] }, { committedBytesPerReadyMax: 100 });
    solo.raw.campaign();
    while (solo.raw.hasReady()) solo.handle();
    const proposals = ['a', 'b', 'c', 'd', 'e'].map((letter) => letter.repeat(40));
    for (const text of proposals) expect(solo.raw.propose(encodeText(text))).toBeNull();

    const batches: string[][] = [];
    while (solo.raw.hasReady()) {
      const committed = solo.handle().committedEntries.map((e) => new TextDecoder().decode(e.data));
      if (committed.length > 0) batches.push(committed);
    }
    expect(batches.flat()).toEqual(proposals);
    for (const batch of batches) expect(batch.join('').length).toBeLessThanOrEqual(100);
    expect(batches.length).toBeGreaterThanOrEqual(3);
  });

  it('a leader counts its own entries toward the quorum only once they are durable', () => {
    const leader = startNode(1, THREE_VOTERS, { preVote: false });
    leader.raw.campaign();
    leader.handle();
    leader.raw.step(message({ type: MessageType.VoteResponse, groupId: groupId(0), from: nodeId(2), to: nodeId(1), term: term(1) }));
    // The new leader's empty entry is handed out and its write issued, but the write is not yet
    // durable: the acknowledgement of its own copy waits.
    const appended = leader.raw.ready();
    const ownEntry = appended.entries[appended.entries.length - 1]!;
    expect(appended.messagesAfterPersist.map((m) => [m.type, m.to, m.index])).toEqual([[MessageType.AppendResponse, 1, ownEntry.index]]);
    leader.storage.append(appended.entries);
    leader.raw.advance(appended);

    // One follower holds it; the leader's own write is still pending: no quorum of disks yet.
    leader.raw.step(message({ type: MessageType.AppendResponse, groupId: groupId(0), from: nodeId(2), to: nodeId(1), term: term(1), index: ownEntry.index }));
    const beforeOwnWrite = leader.raw.ready();
    expect(beforeOwnWrite.hardState?.commit ?? 0).toBeLessThan(ownEntry.index);
    for (const m of beforeOwnWrite.messages) expect(m.commit).toBeLessThan(ownEntry.index);
    leader.raw.advance(beforeOwnWrite);

    // The write is durable: now two of three disks hold the entry, and the commit goes out.
    for (const m of appended.messagesAfterPersist) leader.raw.step(m);
    const afterOwnWrite = leader.raw.ready();
    expect(afterOwnWrite.hardState?.commit).toBe(ownEntry.index);
    // (Node 3 has not answered its probe, so only node 2 is sent the new commit index.)
    expect(afterOwnWrite.messages.filter((m) => m.type === MessageType.Append).map((m) => [m.to, m.commit])).toEqual([[2, ownEntry.index]]);
  });

  it('a candidate counts its own vote only once its term and vote are durable', () => {
    const candidate = startNode(1, THREE_VOTERS, { preVote: false });
    candidate.raw.campaign();
    // Its own vote and its vote requests wait for its hard state (see the next test for why).
    const campaigned = candidate.raw.ready();
    expect(campaigned.messages.map((m) => [m.type, m.to])).toEqual([]);
    expect(campaigned.messagesAfterPersist.map((m) => [m.type, m.to])).toEqual([[MessageType.VoteResponse, 1], [MessageType.Vote, 2], [MessageType.Vote, 3]]);
    candidate.raw.advance(campaigned);

    // A peer's vote alone is no majority while the candidate's own term and vote are not on disk.
    candidate.raw.step(message({ type: MessageType.VoteResponse, groupId: groupId(0), from: nodeId(2), to: nodeId(1), term: term(1) }));
    expect(candidate.raw.status().softState.state).toBe(StateType.Candidate);

    // Durable now: its own vote comes back and completes the majority.
    candidate.storage.setHardState(campaigned.hardState!);
    for (const m of campaigned.messagesAfterPersist) candidate.raw.step(m);
    expect(candidate.raw.status().softState.state).toBe(StateType.Leader);
  });

  // Node simulator seed 6079: a candidate whose disk stalled won with two peers' votes, led
  // and replicated in its new term, crashed before its term was durable, came back in the term
  // before, and was elected in the same term again by the same voters; it wrote other entries
  // at an index and term a follower already held, and the members' states parted.
  it('a candidate asks for votes only once its term and vote are durable', () => {
    const candidate = startNode(1, THREE_VOTERS, { preVote: true });
    candidate.raw.campaign();
    const preCampaign = candidate.raw.ready();
    // A pre-vote changes no durable state, so its requests go out at once.
    expect(types(preCampaign.messages)).toEqual([MessageType.PreVote, MessageType.PreVote]);
    candidate.raw.advance(preCampaign);
    for (const from of [2, 3]) {
      candidate.raw.step(message({ type: MessageType.PreVoteResponse, groupId: groupId(0), from: nodeId(from), to: nodeId(1), term: term(1) }));
    }
    const campaigned = candidate.raw.ready();
    expect(campaigned.hardState).toMatchObject({ term: 1, vote: 1 });
    expect(campaigned.mustSync).toBe(true);
    expect(types(campaigned.messages)).not.toContain(MessageType.Vote);
    expect(campaigned.messagesAfterPersist.filter((m) => m.type === MessageType.Vote).map((m) => [m.to, m.term])).toEqual([[2, 1], [3, 1]]);
  });
});
