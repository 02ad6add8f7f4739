// Writes waiting to be applied. Each proposal gets a request id that travels in its entry's
// envelope; when this node applies the entry it settles the caller with the state machine's
// response or error. Deadlines are checked on every tick by one sweep, so a write costs one
// promise and one record, not a timer.

import type { ApplyResult, MvccResponse } from '../mvcc/index.js';
import { NodeError } from './errors.js';

interface PendingProposal {
  readonly resolve: (response: MvccResponse) => void;
  readonly reject: (error: Error) => void;
  readonly deadlineMs: number;
  readonly timeoutMs: number;
  /** The Ready-loop iteration that proposed it: a term change seen later may have dropped it. */
  iteration: number;
}

/**
 * Request ids start at a random point of this range, far from any id an earlier run used, so an
 * entry proposed before a restart and applied after it never settles a new caller. Not from the
 * wall clock: one stepped back across a restart would hand out the earlier run's ids again.
 */
const REQUEST_ID_START_MAX = 2 ** 48;

export class ProposalTracker {
  private readonly pending = new Map<number, PendingProposal>();
  private nextRequestId: number;

  /** `randomInt` picks where the request ids start. */
  constructor(randomInt: (minimum: number, maximum: number) => number) {
    this.nextRequestId = randomInt(1, REQUEST_ID_START_MAX);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Registers a write; returns its request id and the promise its caller awaits. */
  track(nowMs: number, timeoutMs: number): { readonly requestId: number; readonly settled: Promise<MvccResponse> } {
    const requestId = this.nextRequestId++;
    const settled = new Promise<MvccResponse>((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject, deadlineMs: nowMs + timeoutMs, timeoutMs, iteration: Number.MAX_SAFE_INTEGER });
    });
    return { requestId, settled };
  }

  /** The proposal entered Raft in `iteration` of the Ready loop. */
  proposed(requestId: number, iteration: number): void {
    const proposal = this.pending.get(requestId);
    if (proposal !== undefined) proposal.iteration = iteration;
  }

  /** Settles the caller of an entry this node proposed; returns whether one was waiting. */
  settle(requestId: number, result: ApplyResult): boolean {
    const proposal = this.pending.get(requestId);
    if (proposal === undefined) return false;
    this.pending.delete(requestId);
    if (result.outcome === 'ok') proposal.resolve(result.response);
    else if (result.outcome === 'error') proposal.reject(result.error);
    // Applied before, through a snapshot: it committed, but its response is gone.
    else proposal.reject(new NodeError('NODE_LEADERSHIP_LOST'));
    return true;
  }

  fail(requestId: number, error: Error): void {
    const proposal = this.pending.get(requestId);
    if (proposal === undefined) return;
    this.pending.delete(requestId);
    proposal.reject(error);
  }

  /**
   * The term changed: proposals made before `iteration` may have been dropped by a deposed
   * leader (or lost on their way to it) and may also still commit; their callers are told so.
   */
  leadershipChanged(iteration: number): number {
    let failed = 0;
    for (const [requestId, proposal] of this.pending) {
      if (proposal.iteration >= iteration) continue;
      this.pending.delete(requestId);
      proposal.reject(new NodeError('NODE_LEADERSHIP_LOST'));
      failed++;
    }
    return failed;
  }

  /** Fails proposals past their deadline with NODE_TIMEOUT; returns how many. */
  expire(nowMs: number): number {
    let failed = 0;
    for (const [requestId, proposal] of this.pending) {
      if (proposal.deadlineMs > nowMs) continue;
      this.pending.delete(requestId);
      proposal.reject(new NodeError('NODE_TIMEOUT', { timeoutMs: proposal.timeoutMs }));
      failed++;
    }
    return failed;
  }

  failAll(error: Error): void {
    for (const proposal of this.pending.values()) proposal.reject(error);
    this.pending.clear();
  }
}
