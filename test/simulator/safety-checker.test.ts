// The checkers have teeth: each property, fed a history that breaks it, names the violation.
// (The mutation script shows the same against real bugs in a copy of the core.)

import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/raft/memory-storage.js';
import { EMPTY_CONF_STATE, EntryType, logIndex, nodeId, term } from '../../src/raft/types.js';
import type { ConfState, Entry } from '../../src/raft/types.js';
import { applyToDigest, entryDigest, INITIAL_STATE_DIGEST } from './digest-state-machine.js';
import { SafetyChecker } from './safety-checker.js';

function entry(index: number, entryTerm: number, text = ''): Entry {
  return { index: logIndex(index), term: term(entryTerm), type: EntryType.Normal, data: new TextEncoder().encode(text) };
}

function diskWith(...entries: Entry[]): MemoryStorage {
  const disk = new MemoryStorage();
  disk.append(entries);
  return disk;
}

/** Node `nodeId` persisted `entries` and committed up to `commit`, in term `nodeTerm`. */
function persistAndCommit(checker: SafetyChecker, nodeId: number, nodeTerm: number, commit: number, entries: Entry[]): MemoryStorage {
  const disk = diskWith(...entries);
  checker.entriesPersisted(nodeId, entries, disk);
  checker.commitPersisted(nodeId, nodeTerm, entries, 0, commit, disk);
  return disk;
}

describe('the safety checker', () => {
  it('allows one leader per term and refuses a second', () => {
    const checker = new SafetyChecker();
    expect(checker.leaderElected(1, 2)).toBe(true);
    expect(checker.leaderElected(1, 2)).toBe(false);
    expect(checker.leaderElected(2, 3)).toBe(true);
    expect(() => checker.leaderElected(3, 2)).toThrow('election safety: nodes 1 and 3 were both leader of term 2');
  });

  it('refuses a node that votes for two candidates in one term, even after a crash', () => {
    const checker = new SafetyChecker();
    checker.voteCast(3, 5, 1);
    checker.voteCast(3, 5, 1);
    checker.voteCast(3, 6, 2);
    expect(() => checker.voteCast(3, 5, 2)).toThrow('one vote per term');
  });

  it('refuses a leader elected without a quorum of votes from its own term', () => {
    const checker = new SafetyChecker();
    const confState: ConfState = { ...EMPTY_CONF_STATE, voters: [1, 2, 3].map(nodeId) };
    checker.voteCast(2, 4, 1);
    checker.leaderHasQuorum(1, 4, confState, true);
    checker.voteCast(3, 3, 2);
    expect(() => checker.leaderHasQuorum(2, 4, confState, true)).toThrow('not a quorum of voters {1,2,3}');
    const joint: ConfState = { ...confState, votersOutgoing: [1, 4, 5].map(nodeId) };
    expect(() => checker.leaderHasQuorum(1, 4, joint, true)).toThrow('and {1,4,5}');
  });

  it('refuses a leader that commits an entry of an earlier term by counting replicas (Figure 8)', () => {
    const checker = new SafetyChecker();
    const disk = diskWith(entry(1, 1), entry(2, 2), entry(3, 4));
    checker.leaderCommitted(1, 4, 3, disk);
    expect(() => checker.leaderCommitted(1, 4, 2, disk)).toThrow('leader commits only entries of its term');
  });

  it('refuses two different entries with the same index and term (log matching)', () => {
    const checker = new SafetyChecker();
    checker.entriesPersisted(1, [entry(1, 1, 'a')], diskWith(entry(1, 1, 'a')));
    expect(() => checker.entriesPersisted(2, [entry(1, 1, 'b')], diskWith(entry(1, 1, 'b')))).toThrow('log matching');
  });

  it('refuses equal entries that follow different terms (log matching of the prefix)', () => {
    const checker = new SafetyChecker();
    checker.entriesPersisted(1, [entry(2, 3, 'x')], diskWith(entry(1, 1), entry(2, 3, 'x')));
    expect(() => checker.entriesPersisted(2, [entry(2, 3, 'x')], diskWith(entry(1, 2), entry(2, 3, 'x')))).toThrow(
      'after an entry of term 2, another node after term 1',
    );
  });

  it('refuses a committed entry that another node later holds as committed with another term', () => {
    const checker = new SafetyChecker();
    persistAndCommit(checker, 1, 1, 1, [entry(1, 1, 'a')]);
    expect(() => persistAndCommit(checker, 2, 2, 1, [entry(1, 2, 'b')])).toThrow('committed entries never change');
  });

  it('refuses a commit index that decreases or passes the end of the log', () => {
    const checker = new SafetyChecker();
    const disk = diskWith(entry(1, 1), entry(2, 1));
    expect(() => checker.commitPersisted(1, 1, [], 2, 1, disk)).toThrow('commit index never decreases');
    expect(() => checker.commitPersisted(1, 1, [], 0, 3, disk)).toThrow('committed entries never vanish');
  });

  it('refuses a leader that lacks an entry committed in an earlier term (leader completeness)', () => {
    const checker = new SafetyChecker();
    persistAndCommit(checker, 1, 1, 2, [entry(1, 1), entry(2, 1, 'w')]);
    checker.leaderHoldsCommitted(2, 1, diskWith(entry(1, 1)));
    expect(() => checker.leaderHoldsCommitted(2, 2, diskWith(entry(1, 1)))).toThrow('leader completeness');
    checker.leaderHoldsCommitted(3, 2, diskWith(entry(1, 1), entry(2, 1, 'w')));
  });

  it('refuses a node that applies another entry, or applies out of order (state machine safety)', () => {
    const checker = new SafetyChecker();
    persistAndCommit(checker, 1, 1, 2, [entry(1, 1, 'a'), entry(2, 1, 'b')]);
    const first = entry(1, 1, 'a');
    const afterFirst = applyToDigest(INITIAL_STATE_DIGEST, first, entryDigest(first));
    checker.entryApplied(1, first, 0, afterFirst);
    expect(() => checker.entryApplied(2, entry(1, 1, 'x'), 0, afterFirst)).toThrow('state machine safety');
    expect(() => checker.entryApplied(2, entry(2, 1, 'b'), 0, afterFirst)).toThrow('applied entry 2 right after 0');
    expect(() => checker.entryApplied(2, entry(3, 1, 'c'), 2, afterFirst)).toThrow('before any node persisted a commit index');
  });

  it('refuses a snapshot whose state differs from what applying the entries gave', () => {
    const checker = new SafetyChecker();
    persistAndCommit(checker, 1, 1, 1, [entry(1, 1, 'a')]);
    checker.entryApplied(1, entry(1, 1, 'a'), 0, 42);
    checker.snapshotRestored(2, 1, 42, 0);
    expect(() => checker.snapshotRestored(3, 1, 43, 0)).toThrow('by restoring a snapshot');
    expect(() => checker.snapshotRestored(2, 1, 42, 1)).toThrow('over its state applied up to 1');
  });

  it('refuses a read answered at an index older than what was committed before it was issued', () => {
    const checker = new SafetyChecker();
    checker.readIssued(1);
    persistAndCommit(checker, 1, 1, 2, [entry(1, 1), entry(2, 1)]);
    checker.readIssued(2);
    checker.readAnswered(1, 1, 0);
    checker.readAnswered(1, 2, 2);
    expect(() => checker.readAnswered(1, 2, 1)).toThrow('linearizable reads');
    expect(() => checker.readAnswered(1, 3, 5)).toThrow('never issued');
  });
});
