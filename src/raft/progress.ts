// The leader's view of one follower (etcd's tracker/progress.go): how much of the log it holds
// and how the leader sends to it — probing one append at a time, streaming in Replicate, or
// waiting for a snapshot.

import { Inflights } from './inflights.js';
import type { LogIndex, ProgressStatus } from './types.js';
import { ProgressState, logIndex } from './types.js';

export class Progress {
  /** Highest index known to be replicated on the follower. Invariant: match < next. */
  match: LogIndex;
  /** Index of the next entry to send. */
  next: LogIndex;
  state: ProgressState = ProgressState.Probe;
  /** In Snapshot state: the index of the snapshot being sent; 0 otherwise. */
  pendingSnapshot: LogIndex = logIndex(0);
  /** The follower was heard from since the last check-quorum round. */
  recentActive = false;
  /** Appends are paused: in Probe after one was sent, in Replicate when the window is full. */
  messageFlowPaused = false;
  readonly inflights: Inflights;
  isLearner: boolean;

  constructor(next: LogIndex, inflightMessagesMax: number, isLearner: boolean) {
    this.match = logIndex(0);
    this.next = next;
    this.inflights = new Inflights(inflightMessagesMax);
    this.isLearner = isLearner;
  }

  private resetState(state: ProgressState): void {
    this.messageFlowPaused = false;
    this.pendingSnapshot = logIndex(0);
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot the follower holds at least the snapshot: probe just past it.
    const pendingSnapshot = this.state === ProgressState.Snapshot ? this.pendingSnapshot : 0;
    this.resetState(ProgressState.Probe);
    this.next = logIndex(Math.max(this.match + 1, pendingSnapshot + 1));
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = logIndex(this.match + 1);
  }

  becomeSnapshot(snapshotIndex: LogIndex): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  /** Accounts for an append of `entryCount` entries starting at `next`. */
  sentEntries(entryCount: number): void {
    if (this.state === ProgressState.Replicate) {
      if (entryCount > 0) {
        const last = logIndex(this.next + entryCount - 1);
        this.next = logIndex(last + 1);
        this.inflights.add(last);
      }
      this.messageFlowPaused = this.inflights.full();
    } else if (this.state === ProgressState.Probe && entryCount > 0) {
      this.messageFlowPaused = true;
    }
  }

  /** The follower acknowledged `index`; returns false for a stale acknowledgement. */
  maybeUpdate(index: LogIndex): boolean {
    if (index > this.next - 1) this.next = logIndex(index + 1);
    if (this.match >= index) return false;
    this.match = index;
    this.messageFlowPaused = false;
    return true;
  }

  /**
   * The follower rejected an append at `rejected`, hinting that its log matches at most up to
   * `matchHint`. Returns false when the rejection is stale (it does not concern `next - 1`).
   */
  maybeDecreaseTo(rejected: LogIndex, matchHint: LogIndex): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = logIndex(this.match + 1);
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = logIndex(Math.max(Math.min(rejected, matchHint + 1), this.match + 1));
    this.messageFlowPaused = false;
    return true;
  }

  isPaused(): boolean {
    return this.state === ProgressState.Snapshot || this.messageFlowPaused;
  }

  status(): ProgressStatus {
    return {
      match: this.match,
      next: this.next,
      state: this.state,
      isLearner: this.isLearner,
      recentActive: this.recentActive,
      inflightMessages: this.inflights.size,
    };
  }
}
