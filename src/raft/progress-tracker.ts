// The membership and every member's progress (etcd's tracker/tracker.go), with the quorum
// questions the leader and candidates ask of them.

import { Progress } from './progress.js';
import { VoteResult, jointCommittedIndex, jointVoteResult } from './quorum.js';
import type { ConfState, LogIndex, NodeId } from './types.js';
import { logIndex } from './types.js';

export interface TrackerConfig {
  /** Voters of the (incoming) configuration. */
  readonly voters: Set<NodeId>;
  /** Voters of the outgoing configuration; non-empty only during a joint change. */
  readonly votersOutgoing: Set<NodeId>;
  /** Invariant: disjoint from voters and votersOutgoing. */
  readonly learners: Set<NodeId>;
  /** Outgoing voters that become learners on leaving the joint configuration. */
  readonly learnersNext: Set<NodeId>;
  autoLeave: boolean;
}

function emptyTrackerConfig(): TrackerConfig {
  return { voters: new Set(), votersOutgoing: new Set(), learners: new Set(), learnersNext: new Set(), autoLeave: false };
}

export function cloneTrackerConfig(config: TrackerConfig): TrackerConfig {
  return {
    voters: new Set(config.voters),
    votersOutgoing: new Set(config.votersOutgoing),
    learners: new Set(config.learners),
    learnersNext: new Set(config.learnersNext),
    autoLeave: config.autoLeave,
  };
}

export function confStateOf(config: TrackerConfig): ConfState {
  const sorted = (ids: Set<NodeId>): NodeId[] => [...ids].sort((a, b) => a - b);
  return {
    voters: sorted(config.voters),
    learners: sorted(config.learners),
    votersOutgoing: sorted(config.votersOutgoing),
    learnersNext: sorted(config.learnersNext),
    autoLeave: config.autoLeave,
  };
}

/** The tracker configuration that a stored or received ConfState describes. */
export function trackerConfigOf(confState: ConfState): TrackerConfig {
  const config = emptyTrackerConfig();
  for (const id of confState.voters) config.voters.add(id);
  for (const id of confState.votersOutgoing) config.votersOutgoing.add(id);
  for (const id of confState.learners) config.learners.add(id);
  for (const id of confState.learnersNext) config.learnersNext.add(id);
  config.autoLeave = confState.autoLeave;
  return config;
}

/** Whether two ConfStates describe the same membership, whatever the order of their ids. */
export function sameMembership(a: ConfState, b: ConfState): boolean {
  const canonical = (confState: ConfState): string => JSON.stringify(confStateOf(trackerConfigOf(confState)));
  return canonical(a) === canonical(b);
}

export function isJoint(config: TrackerConfig): boolean {
  return config.votersOutgoing.size > 0;
}

export interface VoteTally {
  readonly granted: number;
  readonly rejected: number;
  readonly result: VoteResult;
}

export class ProgressTracker {
  config: TrackerConfig = emptyTrackerConfig();
  /** Invariant: holds exactly the members of config (voters, outgoing voters and learners). */
  progress = new Map<NodeId, Progress>();
  /** Votes received in the current election; the first answer of each node counts. */
  readonly votes = new Map<NodeId, boolean>();
  readonly inflightMessagesMax: number;

  constructor(inflightMessagesMax: number) {
    this.inflightMessagesMax = inflightMessagesMax;
  }

  /**
   * Adopts a new configuration: members keep their progress, new members start probing at
   * `nextIndex` (counted as recently active so that they can be sent a snapshot at once),
   * and removed members are forgotten.
   */
  applyConfig(config: TrackerConfig, nextIndex: LogIndex): void {
    const members = [...new Set([...config.voters, ...config.votersOutgoing, ...config.learners])].sort((a, b) => a - b);
    const progress = new Map<NodeId, Progress>();
    for (const id of members) {
      let member = this.progress.get(id);
      if (member === undefined) {
        member = new Progress(nextIndex, this.inflightMessagesMax, false);
        member.recentActive = true;
      }
      member.isLearner = config.learners.has(id);
      progress.set(id, member);
    }
    this.config = config;
    this.progress = progress;
  }

  /** Every member starts over, as a new leader or candidate sees them; `self` holds its whole log. */
  resetProgress(self: NodeId, lastIndex: LogIndex): void {
    for (const [id, old] of this.progress) {
      const fresh = new Progress(logIndex(lastIndex + 1), this.inflightMessagesMax, old.isLearner);
      if (id === self) fresh.match = lastIndex;
      this.progress.set(id, fresh);
    }
  }

  /** Whether `ids` include a quorum of the voters. */
  isQuorum(ids: ReadonlySet<NodeId>): boolean {
    const votes = new Map<NodeId, boolean>();
    for (const id of ids) votes.set(id, true);
    return jointVoteResult(this.config.voters, this.config.votersOutgoing, votes) === VoteResult.Won;
  }

  confState(): ConfState {
    return confStateOf(this.config);
  }

  isVoter(id: NodeId): boolean {
    return this.config.voters.has(id) || this.config.votersOutgoing.has(id);
  }

  /** A single voter decides alone: elections and commits need no messages. */
  isSingleton(): boolean {
    return this.config.voters.size === 1 && this.config.votersOutgoing.size === 0;
  }

  /** The highest index held by a quorum of voters. */
  committed(): LogIndex {
    return jointCommittedIndex(this.config.voters, this.config.votersOutgoing, (id) => this.progress.get(id)?.match);
  }

  /** Whether a quorum of voters was heard from recently (the leader counts itself in). */
  quorumActive(self: NodeId): boolean {
    const active = new Map<NodeId, boolean>();
    for (const [id, progress] of this.progress) {
      if (!progress.isLearner) active.set(id, id === self || progress.recentActive);
    }
    return jointVoteResult(this.config.voters, this.config.votersOutgoing, active) === VoteResult.Won;
  }

  resetVotes(): void {
    this.votes.clear();
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): VoteTally {
    let granted = 0;
    let rejected = 0;
    for (const [id, vote] of this.votes) {
      if (!this.isVoter(id)) continue;
      if (vote) granted++;
      else rejected++;
    }
    return { granted, rejected, result: jointVoteResult(this.config.voters, this.config.votersOutgoing, this.votes) };
  }

  /** Ids of all voters, sorted, so that messages go out in a deterministic order. */
  voterIds(): NodeId[] {
    const ids = new Set([...this.config.voters, ...this.config.votersOutgoing]);
    return [...ids].sort((a, b) => a - b);
  }
}
