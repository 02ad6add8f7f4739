// Message handling of followers and (pre-)candidates (etcd's stepFollower and stepCandidate),
// and how a follower takes in the leader's appends, heartbeats and snapshots.

import { RaftError, RaftErrorCode } from './errors.js';
import { CampaignType } from './raft.js';
import type { Raft } from './raft.js';
import { trackerConfigOf } from './progress-tracker.js';
import { VoteResult } from './quorum.js';
import { bcastAppend } from './replication.js';
import type { Message, Snapshot } from './types.js';
import { MessageType, NO_NODE, StateType, logIndex } from './types.js';

function noLeader(what: string): RaftError {
  return new RaftError(RaftErrorCode.NoLeader, `no leader is known, so the ${what} was dropped; retry once one is elected`);
}

export function stepFollower(raft: Raft, m: Message): RaftError | null {
  switch (m.type) {
    case MessageType.Propose:
      if (raft.removedFromConfig()) {
        return new RaftError(RaftErrorCode.NotMember, 'this node was removed from the configuration and cannot propose');
      }
      if (raft.lead === NO_NODE) return noLeader('proposal');
      if (raft.config.disableProposalForwarding) {
        return new RaftError(RaftErrorCode.ForwardingDisabled, 'this follower does not forward proposals; send them to the leader');
      }
      raft.send({ type: MessageType.Propose, to: raft.lead, entries: m.entries });
      return null;
    case MessageType.Append:
    case MessageType.Heartbeat:
    case MessageType.Snapshot:
      raft.electionElapsed = 0;
      raft.lead = m.from;
      handleLeaderMessage(raft, m);
      return null;
    case MessageType.TransferLeader:
      if (raft.lead === NO_NODE) return noLeader('leadership transfer');
      raft.send({ type: MessageType.TransferLeader, to: raft.lead, from: m.from });
      return null;
    case MessageType.TimeoutNow:
      // The leader chose this node: campaign at once, skipping pre-vote and the lease.
      raft.hup(CampaignType.Transfer);
      return null;
    case MessageType.ReadIndex:
      if (raft.lead === NO_NODE) return noLeader('read request');
      raft.send({ type: MessageType.ReadIndex, to: raft.lead, entries: m.entries });
      return null;
    case MessageType.ReadIndexResponse: {
      const context = m.entries[0]?.data;
      if (context !== undefined) raft.readStates.push({ index: m.index, context });
      return null;
    }
    default:
      return null;
  }
}

export function stepCandidate(raft: Raft, m: Message): RaftError | null {
  // Only responses to this candidacy count: a pre-candidate ignores stale Vote responses.
  const ownResponseType = raft.state === StateType.PreCandidate ? MessageType.PreVoteResponse : MessageType.VoteResponse;
  switch (m.type) {
    case MessageType.Propose:
      return noLeader('proposal');
    case MessageType.ReadIndex:
      return noLeader('read request');
    case MessageType.TransferLeader:
      return noLeader('leadership transfer');
    case MessageType.Append:
    case MessageType.Heartbeat:
    case MessageType.Snapshot:
      // A leader of this term exists: this candidacy is lost.
      raft.becomeFollower(m.term, m.from);
      handleLeaderMessage(raft, m);
      return null;
    case ownResponseType:
      countVote(raft, m);
      return null;
    default:
      return null;
  }
}

function countVote(raft: Raft, m: Message): void {
  const result = raft.poll(m.from, !m.reject);
  if (result === VoteResult.Won) {
    if (raft.state === StateType.PreCandidate) {
      raft.campaign(CampaignType.Election);
    } else {
      raft.becomeLeader();
      bcastAppend(raft);
    }
  } else if (result === VoteResult.Lost) {
    raft.becomeFollower(raft.term, NO_NODE);
  }
}

function handleLeaderMessage(raft: Raft, m: Message): void {
  if (m.type === MessageType.Append) handleAppendEntries(raft, m);
  else if (m.type === MessageType.Heartbeat) handleHeartbeat(raft, m);
  else handleSnapshot(raft, m);
}

function handleAppendEntries(raft: Raft, m: Message): void {
  const log = raft.log;
  if (m.index < log.committed) {
    // Everything up to our commit index is known to match: tell the leader where we are.
    raft.send({ type: MessageType.AppendResponse, to: m.from, index: log.committed });
    return;
  }
  const lastNewIndex = log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNewIndex !== undefined) {
    raft.send({ type: MessageType.AppendResponse, to: m.from, index: lastNewIndex });
    return;
  }
  // Reject with a hint: the last index at or below the probe whose term could still match,
  // so the leader skips a whole term of conflicting entries per round trip.
  const hintIndex = logIndex(Math.min(m.index, log.lastIndex()));
  const hint = log.findConflictByTerm(hintIndex, m.logTerm);
  raft.send({
    type: MessageType.AppendResponse,
    to: m.from,
    index: m.index,
    reject: true,
    rejectHint: hint.index,
    logTerm: hint.term,
  });
}

function handleHeartbeat(raft: Raft, m: Message): void {
  raft.log.commitTo(m.commit);
  raft.send({ type: MessageType.HeartbeatResponse, to: m.from, context: m.context });
}

function handleSnapshot(raft: Raft, m: Message): void {
  const snapshot = m.snapshot;
  if (snapshot !== null && restore(raft, snapshot)) {
    raft.send({ type: MessageType.AppendResponse, to: m.from, index: raft.log.lastIndex() });
  } else {
    raft.send({ type: MessageType.AppendResponse, to: m.from, index: raft.log.committed });
  }
}

/** Installs the leader's snapshot unless the log already holds it; returns whether it did. */
function restore(raft: Raft, snapshot: Snapshot): boolean {
  const { index, term: snapshotTerm, confState } = snapshot.metadata;
  if (index <= raft.log.committed) return false;
  // Unlike etcd, a snapshot whose membership lacks this node is installed: a joining node
  // receives a snapshot taken before it was added and learns of its own addition from the log.
  if (raft.log.matchTerm(index, snapshotTerm)) {
    // The log already holds the snapshot's last entry: only the commit index moves.
    raft.log.commitTo(index);
    return false;
  }
  raft.log.restore(snapshot);
  raft.tracker.applyConfig(trackerConfigOf(confState), logIndex(raft.log.lastIndex() + 1));
  return true;
}
