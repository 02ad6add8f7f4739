// Automatic compaction, decided on the leader and proposed as an ordinary CompactionRequest
// (etcd's revision and periodic compactors). The clock is injected, so tests drive it.

export interface CompactionPolicy {
  /** The revision to propose compacting to, or undefined when there is nothing to do. */
  next(nowMs: number, currentRevision: number, compactRevision: number): number | undefined;
}

/** Keeps the last `retainRevisions` revisions. */
export class RevisionRetention implements CompactionPolicy {
  constructor(private readonly retainRevisions: number) {
    if (!Number.isSafeInteger(retainRevisions) || retainRevisions <= 0) throw new RangeError(`retainRevisions must be a positive integer (got ${retainRevisions})`);
  }

  next(_nowMs: number, currentRevision: number, compactRevision: number): number | undefined {
    const target = currentRevision - this.retainRevisions;
    return target > compactRevision ? target : undefined;
  }
}

/**
 * Keeps the revisions of the last `retentionMs`. It samples the revision at most ten times
 * per retention window (so memory is bounded) and proposes the newest sample that is older
 * than the window.
 */
export class TimeRetention implements CompactionPolicy {
  private readonly samples: Array<{ readonly atMs: number; readonly revision: number }> = [];
  private readonly sampleIntervalMs: number;

  constructor(private readonly retentionMs: number) {
    if (!Number.isSafeInteger(retentionMs) || retentionMs <= 0) throw new RangeError(`retentionMs must be a positive integer (got ${retentionMs})`);
    this.sampleIntervalMs = Math.max(1, Math.floor(retentionMs / 10));
  }

  next(nowMs: number, currentRevision: number, compactRevision: number): number | undefined {
    const last = this.samples[this.samples.length - 1];
    if (last === undefined || nowMs - last.atMs >= this.sampleIntervalMs) this.samples.push({ atMs: nowMs, revision: currentRevision });
    let target: number | undefined;
    while (this.samples.length > 0 && (this.samples[0] as { atMs: number }).atMs <= nowMs - this.retentionMs) {
      target = (this.samples.shift() as { revision: number }).revision;
    }
    return target !== undefined && target > compactRevision ? target : undefined;
  }
}
