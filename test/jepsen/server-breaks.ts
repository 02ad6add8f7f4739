// The servers broken on purpose that the fault-injection suite must catch: each break is a
// text replacement in a copy of src (see broken-server-check.ts), with the faults that give it
// a chance to show.

/** One text replacement in one file of the copy. */
export interface Edit {
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

export interface Break {
  readonly name: string;
  readonly description: string;
  /** Ways to make the break in the versions of the source it was written against; the first that fits is used. */
  readonly variants: readonly (readonly Edit[])[];
  /** The faults that give the break a chance to show. */
  readonly faults: string;
  /**
   * Runs (with seeds seed, seed + 1, ...) the suite may take to catch the break: more than one
   * where the loss shows only when a fault strikes at the right moment.
   */
  readonly runsMax: number;
}

export const BREAKS: readonly Break[] = [
  {
    name: 'local-reads',
    description: 'linearizable reads served from local state, without ReadIndex',
    variants: [
      [
        {
          file: 'src/node/raft-kv-node.ts',
          find: '  private async readBarrier(timeoutMs: number | undefined): Promise<void> {\n',
          replace: '  private async readBarrier(timeoutMs: number | undefined): Promise<void> {\n    if (timeoutMs !== -1) return;\n',
        },
      ],
    ],
    faults: 'partition,pause,kill',
    runsMax: 1,
  },
  {
    name: 'ack-before-fsync',
    description: 'append responses and votes sent before the entries and hard state they promise are persisted',
    variants: [
      // The Ready loop persists, then sends.
      [{ file: 'src/node/ready-loop.ts', find: '    await this.persist(ready);\n    this.send(ready.messagesAfterPersist);\n', replace: '    this.send(ready.messagesAfterPersist);\n    await this.persist(ready);\n' }],
      // ReadyPersistence sends once the writes settled: send when they are handed to the log instead.
      [
        { file: 'src/node/ready-persistence.ts', find: '        if (this.failure === undefined) this.parts.send(ready.messagesAfterPersist);\n', replace: '' },
        { file: 'src/node/ready-persistence.ts', find: '  private track(written: Promise<void>, ready: Ready): void {\n', replace: '  private track(written: Promise<void>, ready: Ready): void {\n    this.parts.send(ready.messagesAfterPersist);\n' },
      ],
    ],
    faults: 'slow-disk,kill',
    runsMax: 4,
  },
  {
    name: 'leader-counts-before-fsync',
    description: 'the leader counts its own entries toward the quorum when it appends them, before they are durable on its disk',
    variants: [
      [
        {
          file: 'src/raft/raft.ts',
          find: '    this.send({ type: MessageType.AppendResponse, to: this.id, index: lastIndex });\n',
          replace: '    this.tracker.progress.get(this.id)?.maybeUpdate(lastIndex);\n    this.maybeCommit();\n',
        },
      ],
    ],
    // Alone, the slow leader disk strikes early and often; mixed with kill and partitions it
    // was caught in four runs of eight.
    faults: 'slow-leader-disk',
    runsMax: 4,
  },
];
