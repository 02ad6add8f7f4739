// When to create a Raft snapshot and how far to compact the log: every `snapshotEntries`
// applied entries, keeping `compactionMarginEntries` behind the snapshot so that a follower a
// little behind catches up from the log rather than by a full state transfer.

export interface SnapshotPlan {
  readonly snapshotIndex: number;
  /** Compact the log up to here; undefined when the margin leaves nothing to discard. */
  readonly compactIndex: number | undefined;
}

export class SnapshotPolicy {
  constructor(
    private readonly snapshotEntries: number,
    private readonly compactionMarginEntries: number,
  ) {}

  /** The snapshot to create now, or undefined while too few entries were applied since the last. */
  plan(appliedIndex: number, lastSnapshotIndex: number, logOriginIndex: number): SnapshotPlan | undefined {
    if (appliedIndex - lastSnapshotIndex < this.snapshotEntries) return undefined;
    const compactIndex = appliedIndex - this.compactionMarginEntries;
    return { snapshotIndex: appliedIndex, compactIndex: compactIndex > logOriginIndex ? compactIndex : undefined };
  }
}
