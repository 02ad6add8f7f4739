// The bookkeeping that lets a watch resume after its stream broke without losing or
// repeating an event. A server sends all events of one revision in one message (as etcd
// does without fragmenting), so once a message was delivered its revisions are complete and
// the watch resumes from the last delivered revision + 1. Events at or below the last
// delivered revision that a resumed stream sends again are dropped.

export interface RevisionedEvent {
  readonly revision: number;
}

export class WatchCursor {
  /** Invariant: every event with revision <= deliveredRevision was handed to the caller once. */
  private deliveredRevision: number;

  /** `fromRevision` 0 means "from now on": the first stream decides where that is. */
  constructor(private readonly fromRevision: number) {
    this.deliveredRevision = fromRevision > 0 ? fromRevision - 1 : 0;
  }

  /** The start revision of the next stream: 0 (from now) only before anything was seen. */
  resumeRevision(): number {
    if (this.deliveredRevision === 0 && this.fromRevision <= 1) return this.fromRevision;
    return this.deliveredRevision + 1;
  }

  /** The events of one message that the caller has not seen yet, in order; marks them delivered. */
  admit<E extends RevisionedEvent>(events: readonly E[]): E[] {
    const fresh = events.filter((event) => event.revision > this.deliveredRevision);
    const last = fresh.at(-1);
    if (last !== undefined) this.deliveredRevision = last.revision;
    return fresh;
  }

  /**
   * A stream that started "from now" reports the store revision it started at; a resume must
   * not go back before it, or it would deliver events the caller never asked for.
   */
  startedAt(storeRevision: number): void {
    if (this.deliveredRevision === 0) this.deliveredRevision = storeRevision;
  }
}
