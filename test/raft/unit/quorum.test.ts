import { describe, expect, it } from 'vitest';
import {
  COMMITTED_INDEX_UNBOUNDED,
  VoteResult,
  jointCommittedIndex,
  jointVoteResult,
  majorityCommittedIndex,
  majorityVoteResult,
} from '../../../src/raft/quorum.js';
import { ProgressTracker, trackerConfigOf } from '../../../src/raft/progress-tracker.js';
import type { LogIndex, NodeId } from '../../../src/raft/types.js';
import { EMPTY_CONF_STATE, logIndex, nodeId } from '../../../src/raft/types.js';

const ids = (...values: number[]): Set<NodeId> => new Set(values.map(nodeId));
const acked =
  (table: Record<number, number>) =>
  (id: NodeId): LogIndex | undefined =>
    table[id] === undefined ? undefined : logIndex(table[id]);
const votes = (table: Record<number, boolean>): Map<NodeId, boolean> =>
  new Map(Object.entries(table).map(([id, vote]) => [nodeId(Number(id)), vote]));

describe('majority committed index', () => {
  it('is the index held by a majority', () => {
    expect(majorityCommittedIndex(ids(1, 2, 3), acked({ 1: 5, 2: 3, 3: 1 }))).toBe(3);
    expect(majorityCommittedIndex(ids(1, 2, 3, 4), acked({ 1: 5, 2: 4, 3: 3, 4: 1 }))).toBe(3);
    expect(majorityCommittedIndex(ids(1), acked({ 1: 7 }))).toBe(7);
  });

  it('counts a voter without an acknowledgement as holding nothing', () => {
    expect(majorityCommittedIndex(ids(1, 2, 3), acked({ 1: 5 }))).toBe(0);
    expect(majorityCommittedIndex(ids(1, 2, 3), acked({ 1: 5, 2: 4 }))).toBe(4);
  });

  it('an empty configuration never holds back a joint quorum', () => {
    expect(majorityCommittedIndex(ids(), acked({}))).toBe(COMMITTED_INDEX_UNBOUNDED);
    expect(jointCommittedIndex(ids(1, 2, 3), ids(), acked({ 1: 5, 2: 5, 3: 1 }))).toBe(5);
  });

  it('a joint configuration commits only what a majority of both halves holds', () => {
    // New voters {1,2,3} hold 9, but the old voters {1,4,5} only hold 2 on a majority.
    expect(jointCommittedIndex(ids(1, 2, 3), ids(1, 4, 5), acked({ 1: 9, 2: 9, 3: 9, 4: 2, 5: 1 }))).toBe(2);
  });
});

describe('vote result', () => {
  it('is won with a majority, lost when a majority refused, pending otherwise', () => {
    expect(majorityVoteResult(ids(1, 2, 3), votes({ 1: true, 2: true }))).toBe(VoteResult.Won);
    expect(majorityVoteResult(ids(1, 2, 3), votes({ 1: true, 2: false }))).toBe(VoteResult.Pending);
    expect(majorityVoteResult(ids(1, 2, 3), votes({ 1: true, 2: false, 3: false }))).toBe(VoteResult.Lost);
    expect(majorityVoteResult(ids(1, 2, 3, 4), votes({ 1: true, 2: true }))).toBe(VoteResult.Pending);
  });

  it('ignores votes of non-voters', () => {
    expect(majorityVoteResult(ids(1, 2, 3), votes({ 1: true, 7: true, 8: true }))).toBe(VoteResult.Pending);
  });

  it('a joint election needs both halves and is lost if either is lost', () => {
    expect(jointVoteResult(ids(1, 2, 3), ids(3, 4, 5), votes({ 1: true, 2: true }))).toBe(VoteResult.Pending);
    expect(jointVoteResult(ids(1, 2, 3), ids(3, 4, 5), votes({ 1: true, 3: true, 4: true }))).toBe(VoteResult.Won);
    expect(jointVoteResult(ids(1, 2, 3), ids(3, 4, 5), votes({ 1: true, 2: true, 4: false, 5: false }))).toBe(
      VoteResult.Lost,
    );
  });
});

describe('progress tracker quorum', () => {
  it('learners are ignored for the commit index and for elections', () => {
    const tracker = new ProgressTracker(4);
    tracker.applyConfig(trackerConfigOf({ ...EMPTY_CONF_STATE, voters: [nodeId(1), nodeId(2), nodeId(3)], learners: [nodeId(4), nodeId(5)] }), logIndex(1));
    for (const [id, match] of [[1, 5], [4, 9], [5, 9]] as const) tracker.progress.get(nodeId(id))!.match = logIndex(match);
    expect(tracker.committed()).toBe(0);
    tracker.recordVote(nodeId(1), true);
    tracker.recordVote(nodeId(4), true);
    tracker.recordVote(nodeId(5), true);
    expect(tracker.tallyVotes()).toEqual({ granted: 1, rejected: 0, result: VoteResult.Pending });
  });

  it('the first vote of a node counts, later ones are ignored', () => {
    const tracker = new ProgressTracker(4);
    tracker.applyConfig(trackerConfigOf({ ...EMPTY_CONF_STATE, voters: [nodeId(1), nodeId(2), nodeId(3)] }), logIndex(1));
    tracker.recordVote(nodeId(2), false);
    tracker.recordVote(nodeId(2), true);
    expect(tracker.tallyVotes().rejected).toBe(1);
  });
});
