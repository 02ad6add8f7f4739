// Persists Readies without holding up the Ready loop. Each Ready's writes go to the log at
// once (its group commit keeps them in order and lets the writes issued during one fsync
// share the next), and the loop goes on to the next Ready while they are synced; only what
// must wait for durability waits:
// - a Ready's `messagesAfterPersist` (votes and append acknowledgements, the leader's
//   acknowledgement of its own append included) go out once its writes are durable;
// - committed entries are applied only once they are durable here: a follower may learn a
//   commit index that covers entries its own disk is still syncing (the leader counted a
//   quorum without it). Applying them first would lose nothing a quorum holds, but a member
//   would then restart from a state ahead of its own log, consistent again only once the
//   leader has sent the missing entries.
// A Ready that replaces the log (a snapshot) or truncates it waits for every earlier write and
// is persisted alone, so that the durable index never runs ahead of the entries now in the log.

import type { DurableLogStore } from '../storage/index.js';
import type { NodeMetrics } from '../observability/metrics.js';
import { assert } from '../raft/errors.js';
import type { Message, Ready } from '../raft/types.js';

export interface ReadyPersistenceParts {
  readonly logStore: DurableLogStore;
  readonly metrics: NodeMetrics;
  readonly send: (messages: readonly Message[]) => void;
  /** A write failed; called once, and the log refuses every later write. */
  readonly onFatal: (error: unknown) => void;
}

export class ReadyPersistence {
  /** Settles once every write handed to the log so far has settled; never rejects. */
  private settled: Promise<void> = Promise.resolve();
  // Invariant: every entry at or below it is durable, in the version the log now holds.
  private durableIndex: number;
  private failure: { readonly error: unknown } | undefined;
  // Invariant: of the Readies with entries handed to the log so far, `appendsSettled` are those
  // whose writes have settled; they settle in the order they were handed.
  private appendsHanded = 0;
  private appendsSettled = 0;

  constructor(private readonly parts: ReadyPersistenceParts) {
    this.durableIndex = parts.logStore.lastIndex();
  }

  /** Hands the Ready's writes to the log; resolves at once unless the Ready must be persisted alone. */
  async persist(ready: Ready): Promise<void> {
    if (!this.replacesEntries(ready)) {
      this.track(this.write(ready), ready);
      return;
    }
    await this.drain();
    const written = this.write(ready);
    this.track(written, ready);
    await written;
  }

  /** A mark of the appends handed to the log so far, for `settledThrough`. */
  get appendMark(): number {
    return this.appendsHanded;
  }

  /** Whether every append handed to the log up to `mark` has been written and synced (or failed). */
  settledThrough(mark: number): boolean {
    return this.appendsSettled >= mark;
  }

  /** Resolves once every entry up to `index` is durable; rejects if a write failed. */
  async durableThrough(index: number): Promise<void> {
    if (index <= this.durableIndex) return;
    await this.drain();
    assert(index <= this.durableIndex, `entry ${index} was never handed to the log (durable through ${this.durableIndex})`);
  }

  /** Resolves once every write handed to the log so far is durable; rejects if one failed. */
  async drain(): Promise<void> {
    await this.settled;
    if (this.failure !== undefined) throw this.failure.error;
  }

  /** A snapshot replaces the log; entries at or below the last index overwrite some of it. */
  private replacesEntries(ready: Ready): boolean {
    const first = ready.entries[0];
    return ready.snapshot !== null || (first !== undefined && first.index <= this.parts.logStore.lastIndex());
  }

  private track(written: Promise<void>, ready: Ready): void {
    const throughIndex = this.parts.logStore.lastIndex();
    const started = performance.now();
    const appends = ready.entries.length > 0;
    if (appends) this.appendsHanded++;
    // After every earlier write too: a Ready with nothing to write may still acknowledge
    // entries that an earlier Ready's writes are syncing.
    this.settled = Promise.all([written, this.settled]).then(
      () => {
        if (appends) this.appendsSettled++;
        if (ready.mustSync || ready.snapshot !== null) {
          this.durableIndex = throughIndex;
          this.parts.metrics.walFsyncDuration.observe((performance.now() - started) / 1000);
        }
        if (this.failure === undefined) this.parts.send(ready.messagesAfterPersist);
      },
      (error: unknown) => {
        if (appends) this.appendsSettled++;
        if (this.failure !== undefined) return;
        this.failure = { error };
        this.parts.onFatal(error);
      },
    );
  }

  /**
   * One group commit for the Ready. A Ready that only moves the commit index is written
   * without an fsync: a commit index lost in a crash is learned again from the leader
   * (etcd's Ready.MustSync).
   */
  private write(ready: Ready): Promise<void> {
    const { logStore } = this.parts;
    const writes: Promise<void>[] = [];
    if (ready.snapshot !== null) writes.push(logStore.applySnapshot(ready.snapshot));
    if (ready.entries.length > 0) writes.push(logStore.append(ready.entries));
    if (ready.hardState !== null) writes.push(logStore.setHardState(ready.hardState, ready.mustSync || ready.snapshot !== null));
    return Promise.all(writes).then(() => undefined);
  }
}
