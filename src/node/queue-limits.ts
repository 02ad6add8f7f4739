// The bounds of the node's queues, and the refusal a caller gets past one. Each queue is
// bounded by count and, where its items carry request data, by bytes; a full queue answers at
// once with NODE_OVERLOADED (etcd's "too many requests") instead of queueing without bound.
// A queue always takes one item while it is empty, so a request that is valid on its own (up
// to request-bytes-max) is never refused forever by a byte bound set below its size.

import { NodeError } from './errors.js';

export interface QueueLimits {
  /** Writes proposed by this node and not yet applied (etcd refuses past 5000 unapplied entries). */
  readonly pendingProposalsMax: number;
  /** Encoded bytes of those writes. */
  readonly pendingProposalBytesMax: number;
  /** Linearizable reads waiting for a ReadIndex confirmation or for the apply to catch up. */
  readonly pendingReadsMax: number;
  /** Peer messages carrying entries (appends, forwarded proposals) waiting for the Ready loop. */
  readonly peerInboxMessagesMax: number;
  /** Entry bytes of those messages. */
  readonly peerInboxBytesMax: number;
  /** Requests in flight to the leader from this node, and served for followers by this leader, each. */
  readonly forwardedRequestsMax: number;
}

export const DEFAULT_QUEUE_LIMITS: QueueLimits = Object.freeze({
  pendingProposalsMax: 5_000,
  pendingProposalBytesMax: 128 * 1024 * 1024,
  pendingReadsMax: 10_000,
  peerInboxMessagesMax: 10_000,
  peerInboxBytesMax: 128 * 1024 * 1024,
  forwardedRequestsMax: 1_000,
});

/** The setting that raises each bound, as the refusal names it (the YAML key and flag). */
const SETTINGS: Readonly<Record<keyof QueueLimits, string>> = {
  pendingProposalsMax: 'pending-proposals-max',
  pendingProposalBytesMax: 'pending-proposal-bytes-max',
  pendingReadsMax: 'pending-reads-max',
  peerInboxMessagesMax: 'peer-inbox-messages-max',
  peerInboxBytesMax: 'peer-inbox-bytes-max',
  forwardedRequestsMax: 'forwarded-requests-max',
};

/** The names refusals and the overload metric give the queues. */
export type QueueName = 'pending-proposal queue' | 'pending-read queue' | 'forwarded-request queue';

/**
 * Whether a queue holding `held` of `limit` (items or bytes) may take `adding` more: always
 * when it is empty, else only within the limit.
 */
export function admits(held: number, adding: number, limit: number): boolean {
  return held === 0 || held + adding <= limit;
}

/** The refusal of a request that would take a queue past `bound`. */
export function overloaded(queue: QueueName, bound: keyof QueueLimits, limit: number, value: number, unit: 'requests' | 'bytes'): NodeError {
  return new NodeError('NODE_OVERLOADED', { queue, value, unit, limit, setting: SETTINGS[bound] });
}

/** Every problem with the bounds, for the node's option check. */
export function queueLimitProblems(limits: QueueLimits): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) problems.push(`queueLimits.${name} must be a positive integer, got ${value}`);
  }
  return problems;
}
