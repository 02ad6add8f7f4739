// Quorum arithmetic (etcd's quorum/): what a majority of voters has acknowledged, and how an
// election stands. A joint configuration needs a majority of both its halves.

import type { LogIndex, NodeId } from './types.js';
import { logIndex } from './types.js';

export enum VoteResult {
  Pending = 'pending',
  Lost = 'lost',
  Won = 'won',
}

/** The index an empty configuration reports, so that it never holds back a joint quorum. */
export const COMMITTED_INDEX_UNBOUNDED: LogIndex = logIndex(Number.MAX_SAFE_INTEGER);

/**
 * The highest index acknowledged by a majority of `voters`; a voter without an
 * acknowledgement counts as 0. Learners must not be passed in: they never count.
 */
export function majorityCommittedIndex(
  voters: ReadonlySet<NodeId>,
  acknowledgedIndex: (id: NodeId) => LogIndex | undefined,
): LogIndex {
  if (voters.size === 0) return COMMITTED_INDEX_UNBOUNDED;
  const indexes: number[] = [];
  for (const id of voters) indexes.push(acknowledgedIndex(id) ?? 0);
  indexes.sort((a, b) => b - a);
  // With indexes in descending order, the one at position size/2 is held by a majority.
  return logIndex(indexes[Math.floor(voters.size / 2)]!);
}

export function jointCommittedIndex(
  incoming: ReadonlySet<NodeId>,
  outgoing: ReadonlySet<NodeId>,
  acknowledgedIndex: (id: NodeId) => LogIndex | undefined,
): LogIndex {
  const incomingIndex = majorityCommittedIndex(incoming, acknowledgedIndex);
  const outgoingIndex = majorityCommittedIndex(outgoing, acknowledgedIndex);
  return logIndex(Math.min(incomingIndex, outgoingIndex));
}

/** Votes of non-voters are ignored; an empty configuration wins (it never blocks a joint vote). */
export function majorityVoteResult(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.size === 0) return VoteResult.Won;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === undefined) missing++;
    else if (vote) granted++;
  }
  const quorum = Math.floor(voters.size / 2) + 1;
  if (granted >= quorum) return VoteResult.Won;
  if (granted + missing >= quorum) return VoteResult.Pending;
  return VoteResult.Lost;
}

export function jointVoteResult(
  incoming: ReadonlySet<NodeId>,
  outgoing: ReadonlySet<NodeId>,
  votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  const incomingResult = majorityVoteResult(incoming, votes);
  const outgoingResult = majorityVoteResult(outgoing, votes);
  if (incomingResult === outgoingResult) return incomingResult;
  if (incomingResult === VoteResult.Lost || outgoingResult === VoteResult.Lost) return VoteResult.Lost;
  return VoteResult.Pending;
}
