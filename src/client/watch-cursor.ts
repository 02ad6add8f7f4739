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

  constructor(fromRevision: number) {
    if (!Number.isInteger(fromRevision) || fromRevision < 1) throw new RangeError(`a watch starts at revision 1 or later, got ${fromRevision}`);
    this.deliveredRevision = fromRevision - 1;
  }

  /** The start revision of the next stream. */
  resumeRevision(): number {
    return this.deliveredRevision + 1;
  }

  /** The events of one message that the caller has not seen yet, in order; marks them delivered. */
  admit<E extends RevisionedEvent>(events: readonly E[]): E[] {
    const fresh = events.filter((event) => event.revision > this.deliveredRevision);
    const last = fresh.at(-1);
    if (last !== undefined) this.deliveredRevision = last.revision;
    return fresh;
  }
}
