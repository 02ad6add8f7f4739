// Writes waiting to be applied. Each proposal gets a request id that travels in its entry's
// envelope; when this node applies the entry it settles the caller with the state machine's
// response or error. The tracker is bounded by count and by the proposals' encoded bytes: past
// either bound a write is refused at once with NODE_OVERLOADED. Deadlines sit in a min-heap, so
// a tick expires only the proposals that are due, and a write costs one promise and one
// record, not a timer; settling one is O(log n).

import type { ApplyResult, MvccResponse } from '../mvcc/index.js';
import { DeadlineHeap, type HeapItem } from './deadline-heap.js';
import { NodeError } from './errors.js';
import type { ProposalTrace } from './proposal-trace.js';
import { admits, overloaded } from './queue-limits.js';

interface PendingProposal extends HeapItem {
  readonly requestId: number;
  readonly resolve: (response: MvccResponse) => void;
  readonly reject: (error: Error) => void;
  readonly timeoutMs: number;
  readonly bytes: number;
  /** The Ready-loop iteration that proposed it: a term change seen later may have dropped it. */
  iteration: number;
  /** Its spans, while tracing is on and its request is sampled. */
  trace: ProposalTrace | undefined;
}

export interface ProposalBounds {
  readonly pendingProposalsMax: number;
  readonly pendingProposalBytesMax: number;
}

/**
 * Request ids start at a random point of this range, far from any id an earlier run used, so an
 * entry proposed before a restart and applied after it never settles a new caller. Not from the
 * wall clock: one stepped back across a restart would hand out the earlier run's ids again.
 */
const REQUEST_ID_START_MAX = 2 ** 48;

export class ProposalTracker {
  private readonly pending = new Map<number, PendingProposal>();
  private readonly deadlines = new DeadlineHeap<PendingProposal>();
  private nextRequestId: number;
  // Invariant: the sum of `bytes` over `pending`.
  private pendingBytes = 0;

  /** `randomInt` picks where the request ids start. */
  constructor(
    randomInt: (minimum: number, maximum: number) => number,
    private readonly bounds: ProposalBounds,
  ) {
    this.nextRequestId = randomInt(1, REQUEST_ID_START_MAX);
  }

  get size(): number {
    return this.pending.size;
  }

  get bytes(): number {
    return this.pendingBytes;
  }

  /**
   * Registers a write of `bytes` encoded bytes; returns its request id and the promise its
   * caller awaits. Throws NODE_OVERLOADED when the write would take the tracker past a bound.
   */
  track(nowMs: number, timeoutMs: number, bytes: number): { readonly requestId: number; readonly settled: Promise<MvccResponse> } {
    const { pendingProposalsMax, pendingProposalBytesMax } = this.bounds;
    if (!admits(this.pending.size, 1, pendingProposalsMax)) {
      throw overloaded('pending-proposal queue', 'pendingProposalsMax', pendingProposalsMax, this.pending.size + 1, 'requests');
    }
    if (!admits(this.pendingBytes, bytes, pendingProposalBytesMax)) {
      throw overloaded('pending-proposal queue', 'pendingProposalBytesMax', pendingProposalBytesMax, this.pendingBytes + bytes, 'bytes');
    }
    const requestId = this.nextRequestId++;
    const settled = new Promise<MvccResponse>((resolve, reject) => {
      const proposal = { requestId, resolve, reject, deadlineMs: nowMs + timeoutMs, timeoutMs, bytes, heapIndex: -1, iteration: Number.MAX_SAFE_INTEGER, trace: undefined };
      this.pending.set(requestId, proposal);
      this.deadlines.push(proposal);
      this.pendingBytes += bytes;
    });
    return { requestId, settled };
  }

  /** The tracked proposal's spans, ended however it settles. */
  traced(requestId: number, trace: ProposalTrace): void {
    const proposal = this.pending.get(requestId);
    if (proposal !== undefined) proposal.trace = trace;
  }

  /** The proposal entered Raft in `iteration` of the Ready loop. */
  proposed(requestId: number, iteration: number): void {
    const proposal = this.pending.get(requestId);
    if (proposal === undefined) return;
    proposal.iteration = iteration;
    proposal.trace?.proposed();
  }

  /** This node's traced entry is committed at `index` in `term` and about to be applied. */
  applying(requestId: number, index: number, term: number): void {
    this.pending.get(requestId)?.trace?.applying(index, term);
  }

  /** Settles the caller of an entry this node proposed; returns whether one was waiting. */
  settle(requestId: number, result: ApplyResult): boolean {
    if (result.outcome === 'ok') {
      const proposal = this.take(requestId);
      proposal?.resolve(result.response);
      return proposal !== undefined;
    }
    // Applied before, through a snapshot: it committed, but its response is gone.
    const error = result.outcome === 'error' ? result.error : new NodeError('NODE_LEADERSHIP_LOST');
    const proposal = this.take(requestId, error);
    proposal?.reject(error);
    return proposal !== undefined;
  }

  fail(requestId: number, error: Error): void {
    this.take(requestId, error)?.reject(error);
  }

  /**
   * The term changed: proposals made before `iteration` may have been dropped by a deposed
   * leader (or lost on their way to it) and may also still commit; their callers are told so.
   * A scan, but only once per term change.
   */
  leadershipChanged(iteration: number): number {
    let failed = 0;
    for (const proposal of [...this.pending.values()]) {
      if (proposal.iteration >= iteration) continue;
      const error = new NodeError('NODE_LEADERSHIP_LOST');
      this.take(proposal.requestId, error);
      proposal.reject(error);
      failed++;
    }
    return failed;
  }

  /** Fails proposals past their deadline with NODE_TIMEOUT, earliest first; returns how many. */
  expire(nowMs: number): number {
    let failed = 0;
    for (let proposal = this.deadlines.popDue(nowMs); proposal !== undefined; proposal = this.deadlines.popDue(nowMs)) {
      const error = new NodeError('NODE_TIMEOUT', { timeoutMs: proposal.timeoutMs });
      this.take(proposal.requestId, error);
      proposal.reject(error);
      failed++;
    }
    return failed;
  }

  failAll(error: Error): void {
    const proposals = [...this.pending.values()];
    this.pending.clear();
    this.deadlines.clear();
    this.pendingBytes = 0;
    for (const proposal of proposals) {
      proposal.trace?.ended(error);
      proposal.reject(error);
    }
  }

  /** Removes the proposal and ends its spans, failed with `error` when there is one. */
  private take(requestId: number, error?: Error): PendingProposal | undefined {
    const proposal = this.pending.get(requestId);
    if (proposal === undefined) return undefined;
    proposal.trace?.ended(error);
    this.pending.delete(requestId);
    this.deadlines.remove(proposal);
    this.pendingBytes -= proposal.bytes;
    return proposal;
  }
}
