// The safety properties of Raft (Figure 3 of the paper), checked while the cluster runs. The
// checker remembers the whole run, including what crashed nodes once said and did, and throws
// a SimulationViolation at the first step that breaks a property.

import type { ConfState, Entry } from '../../src/raft/types.js';
import { logIndex } from '../../src/raft/types.js';
import type { SimulatedDisk } from './raft-module.js';
import { entryDigest } from './digest-state-machine.js';

export class SimulationViolation extends Error {
  constructor(
    readonly property: string,
    readonly detail: string,
  ) {
    super(`${property}: ${detail}`);
    this.name = 'SimulationViolation';
  }
}

interface CommittedEntry {
  readonly term: number;
  readonly digest: number;
  // An upper bound of the term in which the entry was first committed: the term of the first
  // node seen holding a commit index that covers it (it learned that from a leader of its term).
  commitTerm: number;
}

interface LoggedEntry {
  readonly digest: number;
  // The term of the preceding entry, or -1 when no node holding this entry could tell (compacted).
  previousTerm: number;
}

/** Terms stay below this bound in a run, so (index, term) packs into one safe integer. */
const TERM_SPAN = 1 << 20;
const NODE_SPAN = 1 << 10;
const UNKNOWN_TERM = -1;

export class SafetyChecker {
  private readonly leaderByTerm = new Map<number, number>();
  private readonly candidateByTermAndVoter = new Map<number, number>();
  private readonly votersByTermAndCandidate = new Map<number, Set<number>>();
  // Every entry any node ever persisted, by (index, term): Log Matching says that pair fixes the
  // entry and, through the preceding entry's term, the whole prefix.
  private readonly loggedByIndexAndTerm = new Map<number, LoggedEntry>();
  private readonly committedByIndex = new Map<number, CommittedEntry>();
  private readonly stateDigestByIndex = new Map<number, number>();
  private readonly confStateByIndex = new Map<number, string>();
  private readonly readIndexMinimumById = new Map<number, number>();
  // Invariant: no index above committedIndexMax has been seen committed by any node.
  private committedIndexMax = 0;

  /** At most one leader per term. Returns true when this is the term's first leader. */
  leaderElected(nodeId: number, term: number): boolean {
    const leader = this.leaderByTerm.get(term);
    if (leader === undefined) {
      this.leaderByTerm.set(term, nodeId);
      return true;
    }
    if (leader !== nodeId) {
      throw new SimulationViolation('election safety', `nodes ${leader} and ${nodeId} were both leader of term ${term}`);
    }
    return false;
  }

  /** A node grants at most one vote per term, even across crashes. */
  voteCast(voterId: number, term: number, candidateId: number): void {
    const key = term * NODE_SPAN + voterId;
    const candidate = this.candidateByTermAndVoter.get(key);
    if (candidate === undefined) {
      this.candidateByTermAndVoter.set(key, candidateId);
      const candidateKey = term * NODE_SPAN + candidateId;
      const voters = this.votersByTermAndCandidate.get(candidateKey) ?? new Set<number>();
      voters.add(voterId);
      this.votersByTermAndCandidate.set(candidateKey, voters);
    } else if (candidate !== candidateId) {
      throw new SimulationViolation(
        'one vote per term',
        `node ${voterId} voted for ${candidate} and then for ${candidateId} in term ${term}`,
      );
    }
  }

  /**
   * A leader of `term` won with votes granted in `term` by a quorum of its membership; a vote
   * from another term does not count.
   */
  leaderHasQuorum(nodeId: number, term: number, confState: ConfState, votedForItselfNow: boolean): void {
    const voters = new Set(this.votersByTermAndCandidate.get(term * NODE_SPAN + nodeId));
    if (votedForItselfNow) voters.add(nodeId);
    const quorum = (members: readonly number[]): boolean =>
      members.length === 0 || members.filter((id) => voters.has(id)).length > members.length / 2;
    if (quorum(confState.voters) && quorum(confState.votersOutgoing)) return;
    throw new SimulationViolation(
      'election safety',
      `node ${nodeId} became leader of term ${term} with votes of that term from {${[...voters].join(',')}}, not a quorum of voters {${confState.voters.join(',')}}` +
        (confState.votersOutgoing.length > 0 ? ` and {${confState.votersOutgoing.join(',')}}` : ''),
    );
  }

  /** A leader moves its commit index only to an entry of its own term (§5.4.2, Figure 8). */
  leaderCommitted(nodeId: number, term: number, commit: number, disk: SimulatedDisk): void {
    const committedTerm = disk.term(logIndex(commit));
    if (committedTerm !== term) {
      throw new SimulationViolation(
        'leader commits only entries of its term',
        `node ${nodeId}, leader of term ${term}, moved its commit index to ${commit}@${committedTerm}`,
      );
    }
  }

  termAdvanced(nodeId: number, previousTerm: number, term: number): void {
    if (term < previousTerm) {
      throw new SimulationViolation('terms never decrease', `node ${nodeId} went from term ${previousTerm} to ${term}`);
    }
    if (term >= TERM_SPAN) throw new Error(`term ${term} is beyond what the checker can index`);
  }

  /** Log matching: an (index, term) pair fixes the entry and the term of the entry before it. */
  entriesPersisted(nodeId: number, entries: readonly Entry[], disk: SimulatedDisk): void {
    for (const entry of entries) {
      const key = entry.index * TERM_SPAN + entry.term;
      const digest = entryDigest(entry);
      const previousTerm = termOrUnknown(disk, entry.index - 1);
      const logged = this.loggedByIndexAndTerm.get(key);
      if (logged === undefined) {
        this.loggedByIndexAndTerm.set(key, { digest, previousTerm });
        continue;
      }
      if (logged.digest !== digest) {
        throw new SimulationViolation(
          'log matching',
          `node ${nodeId} persisted entry ${entry.index}@${entry.term} with content other than another copy of ${entry.index}@${entry.term}`,
        );
      }
      if (logged.previousTerm === UNKNOWN_TERM) logged.previousTerm = previousTerm;
      else if (previousTerm !== UNKNOWN_TERM && previousTerm !== logged.previousTerm) {
        throw new SimulationViolation(
          'log matching',
          `node ${nodeId} holds ${entry.index}@${entry.term} after an entry of term ${previousTerm}, another node after term ${logged.previousTerm}`,
        );
      }
    }
  }

  /**
   * After a node persisted `appended` and its commit index moved from `previousCommit` to
   * `commit`: the commit index never decreases nor passes the log, newly committed entries are
   * recorded, and no committed entry is overwritten.
   */
  commitPersisted(
    nodeId: number,
    nodeTerm: number,
    appended: readonly Entry[],
    previousCommit: number,
    commit: number,
    disk: SimulatedDisk,
  ): void {
    if (commit < previousCommit) {
      throw new SimulationViolation(
        'commit index never decreases',
        `node ${nodeId} moved its commit index from ${previousCommit} back to ${commit}`,
      );
    }
    if (commit > disk.lastIndex()) {
      throw new SimulationViolation(
        'committed entries never vanish',
        `node ${nodeId} has commit index ${commit} but its log ends at ${disk.lastIndex()}`,
      );
    }
    for (const entry of appended) {
      if (entry.index <= previousCommit) this.entryCommitted(nodeId, nodeTerm, entry);
    }
    const firstNew = Math.max(previousCommit + 1, disk.firstIndex());
    if (firstNew > commit) return;
    for (const entry of disk.entries(logIndex(firstNew), logIndex(commit + 1), Number.POSITIVE_INFINITY)) {
      this.entryCommitted(nodeId, nodeTerm, entry);
    }
  }

  /** Leader completeness: a leader of `term` holds every entry committed in an earlier term. */
  leaderHoldsCommitted(nodeId: number, term: number, disk: SimulatedDisk): void {
    const snapshotIndex = disk.firstIndex() - 1;
    const lastIndex = disk.lastIndex();
    for (const [index, committed] of this.committedByIndex) {
      if (index <= snapshotIndex || committed.commitTerm >= term) continue;
      const held = index <= lastIndex ? disk.entries(logIndex(index), logIndex(index + 1), Number.POSITIVE_INFINITY)[0] : undefined;
      if (held === undefined || held.term !== committed.term || entryDigest(held) !== committed.digest) {
        const found = held === undefined ? 'nothing' : `${index}@${held.term}`;
        throw new SimulationViolation(
          'leader completeness',
          `node ${nodeId} leads term ${term} with ${found} where ${index}@${committed.term} was committed by term ${committed.commitTerm}`,
        );
      }
    }
  }

  /** State machine safety: every node applies the same entry at each index, in order. */
  entryApplied(nodeId: number, entry: Entry, appliedIndex: number, stateDigest: number): void {
    if (entry.index !== appliedIndex + 1) {
      throw new SimulationViolation(
        'state machine safety',
        `node ${nodeId} applied entry ${entry.index} right after ${appliedIndex}`,
      );
    }
    const committed = this.committedByIndex.get(entry.index);
    if (committed === undefined) {
      throw new SimulationViolation(
        'state machine safety',
        `node ${nodeId} applied ${entry.index}@${entry.term} before any node persisted a commit index covering it`,
      );
    }
    if (committed.term !== entry.term || committed.digest !== entryDigest(entry)) {
      throw new SimulationViolation(
        'state machine safety',
        `node ${nodeId} applied ${entry.index}@${entry.term} where ${entry.index}@${committed.term} was committed`,
      );
    }
    this.stateReached(nodeId, entry.index, stateDigest, 'applying entries');
  }

  /** A snapshot restores exactly the state other nodes reached by applying entries. */
  snapshotRestored(nodeId: number, index: number, stateDigest: number, appliedIndex: number): void {
    if (index <= appliedIndex) {
      throw new SimulationViolation(
        'state machine safety',
        `node ${nodeId} restored a snapshot at ${index} over its state applied up to ${appliedIndex}`,
      );
    }
    this.stateReached(nodeId, index, stateDigest, 'restoring a snapshot');
  }

  /** Every node derives the same membership from the same configuration entry. */
  confChangeApplied(nodeId: number, index: number, confStateDescription: string): void {
    const expected = this.confStateByIndex.get(index);
    if (expected === undefined) this.confStateByIndex.set(index, confStateDescription);
    else if (expected !== confStateDescription) {
      throw new SimulationViolation(
        'state machine safety',
        `node ${nodeId} reached membership ${confStateDescription} at ${index}, another node ${expected}`,
      );
    }
  }

  /** The highest index any node has seen committed. */
  committedIndex(): number {
    return this.committedIndexMax;
  }

  /** A linearizable read issued now must see every entry some node has already seen committed. */
  readIssued(readId: number): void {
    this.readIndexMinimumById.set(readId, this.committedIndexMax);
  }

  readAnswered(nodeId: number, readId: number, index: number): void {
    const minimum = this.readIndexMinimumById.get(readId);
    if (minimum === undefined) {
      throw new SimulationViolation('linearizable reads', `node ${nodeId} answered read ${readId}, which was never issued`);
    }
    if (index < minimum) {
      throw new SimulationViolation(
        'linearizable reads',
        `node ${nodeId} answered read ${readId} at index ${index}, but ${minimum} was committed before it was issued`,
      );
    }
  }

  private entryCommitted(nodeId: number, nodeTerm: number, entry: Entry): void {
    const digest = entryDigest(entry);
    const committed = this.committedByIndex.get(entry.index);
    if (committed === undefined) {
      this.committedByIndex.set(entry.index, { term: entry.term, digest, commitTerm: nodeTerm });
      this.committedIndexMax = Math.max(this.committedIndexMax, entry.index);
      return;
    }
    if (committed.term !== entry.term || committed.digest !== digest) {
      throw new SimulationViolation(
        'committed entries never change',
        `node ${nodeId} holds ${entry.index}@${entry.term} as committed where ${entry.index}@${committed.term} was committed`,
      );
    }
    committed.commitTerm = Math.min(committed.commitTerm, nodeTerm);
  }

  private stateReached(nodeId: number, index: number, stateDigest: number, how: string): void {
    const expected = this.stateDigestByIndex.get(index);
    if (expected === undefined) this.stateDigestByIndex.set(index, stateDigest);
    else if (expected !== stateDigest) {
      throw new SimulationViolation(
        'state machine safety',
        `node ${nodeId} reached a different state at index ${index} by ${how} than another node did`,
      );
    }
  }
}

function termOrUnknown(disk: SimulatedDisk, index: number): number {
  if (index < disk.firstIndex() - 1 || index > disk.lastIndex()) return UNKNOWN_TERM;
  return disk.term(logIndex(index));
}

