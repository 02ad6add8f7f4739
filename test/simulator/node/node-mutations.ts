// The deliberate bugs in the node (src/node, src/storage, or the Raft core as the node drives
// it) that the node simulator must catch (see ../mutation-check.ts). Files are within src/.

import type { Mutation } from '../mutation-check.js';

export const NODE_MUTATIONS: readonly Mutation[] = [
  {
    name: 'leader-counts-own-append',
    bug: 'the leader counts its own entry toward the quorum at append, before its fsync (the bug a7d07dd fixed)',
    file: 'raft/raft.ts',
    search: '    this.send({ type: MessageType.AppendResponse, to: this.id, index: lastIndex });\n    return true;',
    replace: '    this.tracker.progress.get(this.id)?.maybeUpdate(lastIndex);\n    this.maybeCommit();\n    return true;',
  },
  {
    name: 'acknowledge-before-fsync',
    bug: 'a Ready\'s messagesAfterPersist (append acknowledgements, votes) go out when its writes are handed out, not once durable',
    file: 'node/ready-persistence.ts',
    search: '      this.track(this.write(ready), ready);\n      return;',
    replace: '      this.parts.send(ready.messagesAfterPersist);\n      this.track(this.write(ready), { ...ready, messagesAfterPersist: [] });\n      return;',
  },
  {
    name: 'read-before-apply',
    bug: 'a ReadIndex read is served once the leader confirms its index, before this node applied up to it',
    file: 'node/read-index-batcher.ts',
    search: 'if (index <= appliedIndex) {',
    replace: 'if (index >= 0) {',
  },
  {
    name: 'vote-not-persisted',
    bug: 'the hard state written to the log forgets the vote',
    file: 'node/ready-persistence.ts',
    search: 'writes.push(logStore.setHardState(ready.hardState,',
    replace: 'writes.push(logStore.setHardState({ ...ready.hardState, vote: 0 as typeof ready.hardState.vote },',
  },
  {
    name: 'wal-accepts-bad-crc',
    bug: 'a WAL record whose CRC does not match is read as intact',
    file: 'storage/wal-record.ts',
    search: '  if (expected !== actual) return { intact: false, reason: `CRC mismatch (stored ${expected}, computed ${actual})` };\n',
    replace: '',
  },
];

/** Seeds searched per node mutation: each is caught well within them, in seconds. */
export const NODE_MUTATION_SEEDS = 300;
