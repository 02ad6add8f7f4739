// When to create a Raft snapshot and how far to compact the log. A snapshot is due every
// `snapshotEntries` applied entries, or sooner once the log holds `logBytesMax` bytes of entry
// data in memory (large batch entries would otherwise pile up hundreds of MiB between
// snapshots). Compaction keeps a margin behind the snapshot, at most `compactionMarginEntries`
// entries and at most a quarter of `logBytesMax`, so that a follower a little behind catches
// up from the log rather than by a full state transfer.

export interface SnapshotPlan {
  readonly snapshotIndex: number;
  /** Compact the log up to here; undefined when the margin leaves nothing to discard. */
  readonly compactIndex: number | undefined;
}

/** What the policy reads of the in-memory log (the durable log store provides it). */
export interface LogFootprint {
  /** The first index the log holds; everything before it is compacted. */
  firstIndex(): number;
  readonly entriesDataBytes: number;
  /** The lowest index that may become the origin while the entries after it keep at most `bytesMax`. */
  originKeepingBytes(bytesMax: number): number;
}

export class SnapshotPolicy {
  constructor(
    private readonly snapshotEntries: number,
    private readonly compactionMarginEntries: number,
    private readonly logBytesMax: number,
  ) {}

  /** The snapshot to create now, or undefined while none is due. */
  plan(appliedIndex: number, lastSnapshotIndex: number, log: LogFootprint): SnapshotPlan | undefined {
    if (appliedIndex <= lastSnapshotIndex) return undefined;
    const dueByEntries = appliedIndex - lastSnapshotIndex >= this.snapshotEntries;
    const overBytes = log.entriesDataBytes >= this.logBytesMax;
    // Runs after every Ready: the log walk below is paid only when a snapshot may be due.
    if (!dueByEntries && !overBytes) return undefined;
    const originIndex = log.firstIndex() - 1;
    const byMargin = Math.max(appliedIndex - this.compactionMarginEntries, log.originKeepingBytes(this.logBytesMax / 4));
    const compactIndex = Math.min(appliedIndex, byMargin);
    // Over the byte budget a snapshot helps only if it lets the log shrink.
    const dueByBytes = overBytes && compactIndex > originIndex;
    if (!dueByEntries && !dueByBytes) return undefined;
    return { snapshotIndex: appliedIndex, compactIndex: compactIndex > originIndex ? compactIndex : undefined };
  }
}
