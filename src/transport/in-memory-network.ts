// A network inside one process, for node and cluster tests: transports find each other by
// address through the hub, messages arrive asynchronously (never inside send), and a test
// can cut links, isolate a member or delay a link to provoke elections and leader loss.
// Each directed link is a FIFO queue with one timer, so delay never reorders a link.

import type { Message, NodeId } from '../raft/types.js';
import { InMemoryTransport, type InMemoryTransportOptions } from './in-memory-transport.js';

interface QueuedBatch {
  readonly messages: readonly Message[];
  readonly deliverAtMs: number;
}

/** The messages in flight from one member to another. */
class Link {
  readonly batches: QueuedBatch[] = [];
  // Invariant: non-null exactly while a delivery of the head batch is scheduled.
  cancelDelivery: (() => void) | null = null;
  queuedMessages = 0;
}

const linkKey = (from: NodeId, to: NodeId): string => `${from}>${to}`;

export class InMemoryNetwork {
  private readonly endpoints = new Map<string, InMemoryTransport>();
  // Invariant: the same started transports as `endpoints`, keyed by member id.
  private readonly endpointsById = new Map<NodeId, InMemoryTransport>();
  private readonly cutLinks = new Set<string>();
  private readonly isolated = new Set<NodeId>();
  private readonly delaysMs = new Map<string, number>();
  private readonly links = new Map<string, Link>();

  /** A transport for member `id`, reachable at `address` once it has started. */
  createTransport(id: NodeId, address: string, options: InMemoryTransportOptions = {}): InMemoryTransport {
    return new InMemoryTransport(this, id, address, options);
  }

  /** Stops traffic both ways between two members; what is in flight is lost. */
  cut(a: NodeId, b: NodeId): void {
    this.cutLinks.add(linkKey(a, b));
    this.cutLinks.add(linkKey(b, a));
  }

  heal(a: NodeId, b: NodeId): void {
    this.cutLinks.delete(linkKey(a, b));
    this.cutLinks.delete(linkKey(b, a));
  }

  /** Cuts a member off from everyone. */
  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  rejoin(id: NodeId): void {
    this.isolated.delete(id);
  }

  /** Delays every message from `from` to `to` by `delayMs` (0 removes the delay). */
  setDelay(from: NodeId, to: NodeId, delayMs: number): void {
    if (delayMs === 0) this.delaysMs.delete(linkKey(from, to));
    else this.delaysMs.set(linkKey(from, to), delayMs);
  }

  delayOf(from: NodeId, to: NodeId): number {
    return this.delaysMs.get(linkKey(from, to)) ?? 0;
  }

  canReach(from: NodeId, to: NodeId): boolean {
    return !this.isolated.has(from) && !this.isolated.has(to) && !this.cutLinks.has(linkKey(from, to));
  }

  /** @internal The started transport listening at `address`, if any. */
  endpointAt(address: string): InMemoryTransport | undefined {
    return this.endpoints.get(address);
  }

  /** @internal */
  listen(transport: InMemoryTransport): void {
    if (this.endpoints.has(transport.address)) {
      throw new Error(`in-memory network: address ${transport.address} is already in use`);
    }
    this.endpoints.set(transport.address, transport);
    this.endpointsById.set(transport.id, transport);
  }

  /** @internal Drops the listener and every message still queued towards or from it. */
  unlisten(transport: InMemoryTransport): void {
    if (this.endpoints.get(transport.address) !== transport) return;
    this.endpoints.delete(transport.address);
    this.endpointsById.delete(transport.id);
    for (const [key, link] of this.links) {
      const [from, to] = key.split('>').map(Number);
      if (from !== transport.id && to !== transport.id) continue;
      link.cancelDelivery?.();
      this.links.delete(key);
    }
  }

  /**
   * @internal Queues a batch on the link; false when the link's queue cannot take it (the
   * caller drops it and reports the peer unreachable).
   */
  enqueue(from: NodeId, to: NodeId, messages: readonly Message[], queuedMessagesMax: number): boolean {
    const key = linkKey(from, to);
    let link = this.links.get(key);
    if (link === undefined) {
      link = new Link();
      this.links.set(key, link);
    }
    if (link.queuedMessages + messages.length > queuedMessagesMax) return false;
    const last = link.batches[link.batches.length - 1];
    const deliverAtMs = Math.max(Date.now() + this.delayOf(from, to), last?.deliverAtMs ?? 0);
    link.batches.push({ messages, deliverAtMs });
    link.queuedMessages += messages.length;
    if (link.cancelDelivery === null) this.schedule(from, to, link);
    return true;
  }

  private schedule(from: NodeId, to: NodeId, link: Link): void {
    const head = link.batches[0];
    if (head === undefined) return;
    const waitMs = head.deliverAtMs - Date.now();
    const deliver = (): void => this.deliverDue(from, to, link);
    if (waitMs > 0) {
      const timeout = setTimeout(deliver, waitMs);
      link.cancelDelivery = () => clearTimeout(timeout);
    } else {
      const immediate = setImmediate(deliver);
      link.cancelDelivery = () => clearImmediate(immediate);
    }
  }

  /** Hands every batch that is due to the receiver in one onMessages call, if the link is up. */
  private deliverDue(from: NodeId, to: NodeId, link: Link): void {
    link.cancelDelivery = null;
    const nowMs = Date.now();
    const due: Message[] = [];
    while (link.batches.length > 0 && link.batches[0]!.deliverAtMs <= nowMs) {
      const batch = link.batches.shift()!;
      link.queuedMessages -= batch.messages.length;
      due.push(...batch.messages);
    }
    const receiver = this.endpointsById.get(to);
    if (due.length > 0 && receiver !== undefined && this.canReach(from, to)) receiver.receive(from, due);
    this.schedule(from, to, link);
  }
}
