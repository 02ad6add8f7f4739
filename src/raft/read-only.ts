// Linearizable reads by ReadIndex (etcd's read_only.go): the leader records its commit index
// for each request and answers once a heartbeat round carrying the request's context has
// been acknowledged by a quorum, proving it was still the leader when the request arrived.

import type { LogIndex, Message, NodeId } from './types.js';
import { EMPTY_BYTES } from './types.js';

export interface ReadIndexStatus {
  /** The ReadIndex request as it arrived (local or forwarded by a follower). */
  readonly request: Message;
  /** The leader's commit index when the request arrived. */
  readonly index: LogIndex;
  readonly acknowledgedBy: Set<NodeId>;
}

/** Requests are keyed by their context bytes, which the application keeps unique. */
function contextKey(context: Uint8Array): string {
  let key = '';
  for (const byte of context) key += String.fromCharCode(byte);
  return key;
}

export function requestContext(request: Message): Uint8Array {
  return request.entries[0]?.data ?? EMPTY_BYTES;
}

export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  /** Keys of pending requests in arrival order. Invariant: the same keys as `pending`. */
  private queue: string[] = [];

  /** Records a request; a request whose context is already pending is ignored. */
  addRequest(index: LogIndex, request: Message): void {
    const key = contextKey(requestContext(request));
    if (this.pending.has(key)) return;
    this.pending.set(key, { request, index, acknowledgedBy: new Set() });
    this.queue.push(key);
  }

  /** Records a heartbeat acknowledgement; returns who acknowledged that context so far. */
  recordAcknowledgement(id: NodeId, context: Uint8Array): ReadonlySet<NodeId> | undefined {
    const status = this.pending.get(contextKey(context));
    if (status === undefined) return undefined;
    status.acknowledgedBy.add(id);
    return status.acknowledgedBy;
  }

  /**
   * Removes and returns the request with `context` and every request queued before it: a
   * quorum that confirmed a later heartbeat round also confirmed the earlier ones.
   */
  advance(context: Uint8Array): ReadIndexStatus[] {
    const position = this.queue.indexOf(contextKey(context));
    if (position < 0) return [];
    const released = this.queue.slice(0, position + 1);
    this.queue = this.queue.slice(position + 1);
    const statuses: ReadIndexStatus[] = [];
    for (const key of released) {
      statuses.push(this.pending.get(key)!);
      this.pending.delete(key);
    }
    return statuses;
  }

  /** The context of the newest pending request, carried by the next heartbeat round. */
  lastPendingContext(): Uint8Array {
    const key = this.queue[this.queue.length - 1];
    return key === undefined ? EMPTY_BYTES : requestContext(this.pending.get(key)!.request);
  }
}
