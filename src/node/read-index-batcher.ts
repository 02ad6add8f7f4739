// Linearizable reads, batched: every read that arrived before a ReadIndex request was issued
// shares it, so a burst of reads costs one heartbeat round. A read is released once this node
// has applied the index the leader confirmed. A request whose answer was lost (a dropped
// message, a leader that stepped down) is issued again after a retry interval; each read
// fails with NODE_TIMEOUT at its own deadline. At most `pendingReadsMax` reads wait at once;
// one more is refused with NODE_OVERLOADED. A read holds no request data here (its range stays
// with its caller, within key-bytes-max), so the count bounds the memory.

import { NodeError } from './errors.js';
import { admits, overloaded } from './queue-limits.js';

interface PendingRead {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly deadlineMs: number;
  readonly timeoutMs: number;
}

interface IssuedBatch {
  readonly reads: PendingRead[];
  readonly issuedAtMs: number;
}

interface ConfirmedBatch {
  readonly index: number;
  readonly reads: PendingRead[];
}

/** What the batcher needs from Raft: issue a ReadIndex request with this context, or say why not. */
export type IssueReadIndex = (context: Uint8Array) => Error | null;

const CONTEXT_BYTES = 8;
/**
 * Context ids start at a random point below this, as request ids do (proposal-tracker.ts).
 * The leader answers whichever run of this member is up when the answer arrives, so an answer
 * to a request made before a crash could otherwise match a request of the restarted run and
 * release its reads at the older index it carries: a stale read. The headroom above the start
 * keeps every id within the context's six bytes.
 */
const CONTEXT_ID_START_MAX = 2 ** 47;

export class ReadIndexBatcher {
  private queued: PendingRead[] = [];
  private readonly issued = new Map<number, IssuedBatch>();
  // Invariant: sorted by index, ascending.
  private confirmed: ConfirmedBatch[] = [];
  private nextContextId: number;
  // Invariant: the reads in `queued`, `issued` and `confirmed`, each settled exactly once.
  private pending = 0;

  /** `randomInt` picks where the context ids start. */
  constructor(
    private readonly retryMs: number,
    private readonly pendingReadsMax: number,
    randomInt: (minimum: number, maximum: number) => number,
  ) {
    this.nextContextId = randomInt(1, CONTEXT_ID_START_MAX);
  }

  get pendingCount(): number {
    return this.pending;
  }

  /**
   * Resolves once the node has applied everything committed when the read arrived; rejects at
   * once with NODE_OVERLOADED when `pendingReadsMax` reads already wait.
   */
  enqueue(nowMs: number, timeoutMs: number): Promise<void> {
    if (!admits(this.pending, 1, this.pendingReadsMax)) {
      return Promise.reject(overloaded('pending-read queue', 'pendingReadsMax', this.pendingReadsMax, this.pending + 1, 'requests'));
    }
    this.pending++;
    return new Promise<void>((resolve, reject) => {
      const settled = (): void => {
        this.pending--;
      };
      this.queued.push({
        resolve: () => {
          settled();
          resolve();
        },
        reject: (error) => {
          settled();
          reject(error);
        },
        deadlineMs: nowMs + timeoutMs,
        timeoutMs,
      });
    });
  }

  get hasQueued(): boolean {
    return this.queued.length > 0;
  }

  /** Issues one ReadIndex request for every queued read (called from the Ready loop). */
  issue(nowMs: number, issueReadIndex: IssueReadIndex): void {
    if (this.queued.length === 0) return;
    const reads = this.queued;
    this.queued = [];
    const contextId = this.nextContextId++;
    const context = Buffer.alloc(CONTEXT_BYTES);
    context.writeUIntBE(contextId, 2, 6);
    const refused = issueReadIndex(context);
    if (refused !== null) {
      for (const read of reads) read.reject(refused);
      return;
    }
    this.issued.set(contextId, { reads, issuedAtMs: nowMs });
  }

  /** The leader confirmed `index` for a request; its reads wait until it is applied. */
  confirm(context: Uint8Array, index: number, appliedIndex: number): void {
    if (context.byteLength !== CONTEXT_BYTES) return;
    const contextId = Buffer.from(context.buffer, context.byteOffset, context.byteLength).readUIntBE(2, 6);
    const batch = this.issued.get(contextId);
    if (batch === undefined) return;
    this.issued.delete(contextId);
    if (index <= appliedIndex) {
      for (const read of batch.reads) read.resolve();
      return;
    }
    const position = this.confirmed.findIndex((waiting) => waiting.index > index);
    const entry = { index, reads: batch.reads };
    if (position === -1) this.confirmed.push(entry);
    else this.confirmed.splice(position, 0, entry);
  }

  /** Releases the reads whose index is now applied. */
  applied(appliedIndex: number): void {
    let released = 0;
    while (released < this.confirmed.length && this.confirmed[released]!.index <= appliedIndex) {
      for (const read of this.confirmed[released]!.reads) read.resolve();
      released++;
    }
    if (released > 0) this.confirmed = this.confirmed.slice(released);
  }

  /** Fails reads past their deadline and queues again the requests that went unanswered too long. */
  sweep(nowMs: number): void {
    const timedOut = (read: PendingRead): boolean => {
      if (read.deadlineMs > nowMs) return false;
      read.reject(new NodeError('NODE_TIMEOUT', { timeoutMs: read.timeoutMs }));
      return true;
    };
    this.queued = this.queued.filter((read) => !timedOut(read));
    for (const [contextId, batch] of this.issued) {
      const alive = batch.reads.filter((read) => !timedOut(read));
      if (alive.length > 0 && nowMs - batch.issuedAtMs < this.retryMs) {
        if (alive.length !== batch.reads.length) this.issued.set(contextId, { reads: alive, issuedAtMs: batch.issuedAtMs });
        continue;
      }
      this.issued.delete(contextId);
      this.queued.push(...alive);
    }
    for (const batch of this.confirmed) {
      const alive = batch.reads.filter((read) => !timedOut(read));
      batch.reads.length = 0;
      batch.reads.push(...alive);
    }
  }

  failAll(error: Error): void {
    for (const read of this.queued) read.reject(error);
    for (const batch of this.issued.values()) for (const read of batch.reads) read.reject(error);
    for (const batch of this.confirmed) for (const read of batch.reads) read.reject(error);
    this.queued = [];
    this.issued.clear();
    this.confirmed = [];
  }
}
