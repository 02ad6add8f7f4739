// The deliberate bugs in the Raft core that the simulator must catch (see mutation-check.ts).

import type { Mutation } from './mutation-check.js';

export const MUTATIONS: readonly Mutation[] = [
  {
    name: 'votes-from-another-term',
    bug: 'a candidate counts vote responses from an earlier term (the stale-term check lets them through)',
    file: 'raft.ts',
    search: '} else if (m.term !== 0 && m.term < this.term) {',
    replace: '} else if (m.term !== 0 && m.term < this.term && m.type !== MessageType.VoteResponse) {',
  },
  {
    name: 'commit-previous-term-by-count',
    bug: 'the leader commits an entry of an earlier term by counting replicas (Figure 8: no current-term check)',
    file: 'raft-log.ts',
    search: 'if (index <= this.committed || this.maybeTerm(index) !== currentTerm) return false;',
    replace: 'if (index <= this.committed || this.maybeTerm(index) === undefined) return false;',
  },
  {
    name: 'vote-response-before-persist',
    bug: 'vote responses go out in `messages`, before the vote is on disk, instead of `messagesAfterPersist`',
    file: 'raft.ts',
    search: '  MessageType.AppendResponse,\n  MessageType.VoteResponse,\n',
    replace: '  MessageType.AppendResponse,\n',
  },
  {
    name: 'vote-never-persisted',
    bug: 'the hard state handed out for persisting forgets the vote',
    file: 'raft.ts',
    search: 'return { term: this.term, vote: this.vote, commit: this.log.committed };',
    replace: 'return { term: this.term, vote: NO_NODE, commit: this.log.committed };',
  },
  {
    name: 'vote-without-up-to-date-check',
    bug: 'a node grants its vote without checking that the candidate log is at least as up to date',
    file: 'raft.ts',
    search: 'this.log.isUpToDate(m.index, m.logTerm)',
    replace: 'true',
  },
  {
    name: 'append-without-consistency-check',
    bug: 'a follower appends entries without checking that its log matches at the preceding entry',
    file: 'raft-log.ts',
    search: 'if (!this.matchTerm(index, logTerm)) return undefined;',
    replace: 'if (index > this.lastIndex()) return undefined;',
  },
  {
    name: 'read-index-without-quorum-check',
    bug: 'a Safe ReadIndex is answered at once, without a heartbeat round confirming leadership',
    file: 'step-leader.ts',
    search: 'if (raft.config.readOnlyOption === ReadOnlyOption.LeaseBased) {\n    answerReadIndex',
    replace: 'if (raft.config.readOnlyOption !== ReadOnlyOption.LeaseBased) {\n    answerReadIndex',
  },
];
