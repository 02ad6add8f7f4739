// The PeerTransport of one member on an InMemoryNetwork. It behaves as GrpcTransport does as
// far as a node can tell (same contract suite): asynchronous in-order delivery per peer,
// drops reported as unreachable, bounded queues, one snapshot in flight per peer, calls with
// timeouts and the same error codes. Bytes are copied on the way, so no buffer is shared.

import type { Message, NodeId } from '../raft/types.js';
import { transportError } from './errors.js';
import type { InMemoryNetwork } from './in-memory-network.js';
import { TransportCounters, type PeerCounters } from './peer-counters.js';
import { groupByPeer } from './peer-batches.js';
import { ConsumedChunks, SNAPSHOT_NOT_CONSUMED } from './snapshot-chunks.js';
import type { PeerCallHandler, PeerTransport, TransportHandlers } from './transport.js';

export interface InMemoryTransportOptions {
  /** Messages queued on one link (in flight or delayed) before sends to that peer drop. */
  readonly queuedMessagesMax?: number;
}

const QUEUED_MESSAGES_MAX_DEFAULT = 4096;

export class InMemoryTransport implements PeerTransport {
  private handlers: TransportHandlers | null = null;
  private readonly peers = new Map<NodeId, string>();
  private readonly callHandlers = new Map<string, PeerCallHandler>();
  private readonly peerCounters = new TransportCounters();
  // Invariant: holds a peer exactly while a snapshot to it is being sent.
  private readonly snapshotsInFlight = new Set<NodeId>();
  private readonly queuedMessagesMax: number;
  private closed = false;

  constructor(
    private readonly network: InMemoryNetwork,
    readonly id: NodeId,
    readonly address: string,
    options: InMemoryTransportOptions,
  ) {
    this.queuedMessagesMax = options.queuedMessagesMax ?? QUEUED_MESSAGES_MAX_DEFAULT;
  }

  async start(handlers: TransportHandlers): Promise<void> {
    if (this.closed) throw transportError('TRANSPORT_CLOSED');
    this.network.listen(this);
    this.handlers = handlers;
  }

  setPeer(id: NodeId, address: string): void {
    this.peers.set(id, address);
  }

  removePeer(id: NodeId): void {
    this.peers.delete(id);
  }

  send(messages: readonly Message[]): void {
    if (this.closed) return;
    for (const [peer, batch] of groupByPeer(messages)) {
      const counters = this.peerCounters.of(peer);
      if (this.reachablePeer(peer) === undefined || !this.network.enqueue(this.id, peer, batch.map(copyMessage), this.queuedMessagesMax)) {
        counters.messagesDropped += batch.length;
        counters.active = false;
        this.reportUnreachable(peer);
        continue;
      }
      counters.active = true;
      counters.messagesSent += batch.length;
      counters.framesSent += 1;
    }
  }

  sendSnapshot(message: Message, chunks: () => AsyncIterable<Uint8Array>): void {
    const peer = message.to;
    if (this.closed) return;
    if (this.snapshotsInFlight.has(peer)) {
      this.peerCounters.of(peer).snapshotsFailed += 1;
      setImmediate(() => this.handlers?.onSnapshotStatus(peer, false));
      return;
    }
    this.snapshotsInFlight.add(peer);
    void this.streamSnapshot(message, chunks).then((ok) => {
      this.snapshotsInFlight.delete(peer);
      const counters = this.peerCounters.of(peer);
      if (ok) counters.snapshotsSent += 1;
      else counters.snapshotsFailed += 1;
      if (!this.closed) this.handlers?.onSnapshotStatus(peer, ok);
    });
  }

  handle(method: string, handler: PeerCallHandler): void {
    this.callHandlers.set(method, handler);
  }

  async call(to: NodeId, method: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed) throw transportError('TRANSPORT_CLOSED');
    if (!this.peers.has(to)) throw transportError('TRANSPORT_UNKNOWN_PEER', { peer: to });
    await this.linkDelay(to);
    const receiver = this.reachablePeer(to);
    if (receiver === undefined) throw transportError('TRANSPORT_UNREACHABLE', { peer: to, reason: 'no link to the peer' });
    const handler = receiver.callHandlers.get(method);
    if (handler === undefined) throw transportError('TRANSPORT_UNKNOWN_METHOD', { peer: to, method });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(transportError('TRANSPORT_TIMEOUT', { peer: to, method, timeoutMs })), timeoutMs);
    });
    try {
      const answer = await Promise.race([invoke(handler, payload.slice(), this.id, to, method), timeout]);
      return answer.slice();
    } finally {
      clearTimeout(timer);
    }
  }

  counters(): ReadonlyMap<NodeId, Readonly<PeerCounters>> {
    return this.peerCounters.read();
  }

  close(): Promise<void> {
    this.closed = true;
    this.network.unlisten(this);
    return Promise.resolve();
  }

  /** @internal Called by the network with messages that arrived from `from`. */
  receive(from: NodeId, messages: readonly Message[]): void {
    if (this.closed || this.handlers === null) return;
    this.peerCounters.of(from).messagesReceived += messages.length;
    this.handlers.onMessages(messages);
  }

  /** The peer's started transport if this member knows it and the link is up. */
  private reachablePeer(peer: NodeId): InMemoryTransport | undefined {
    const address = this.peers.get(peer);
    const receiver = address === undefined ? undefined : this.network.endpointAt(address);
    if (receiver === undefined || receiver.id !== peer || !this.network.canReach(this.id, peer)) return undefined;
    return receiver;
  }

  private reportUnreachable(peer: NodeId): void {
    setImmediate(() => {
      if (!this.closed) this.handlers?.onUnreachable(peer);
    });
  }

  private linkDelay(to: NodeId): Promise<void> {
    const delayMs = this.network.delayOf(this.id, to);
    return new Promise((resolve) => (delayMs > 0 ? setTimeout(resolve, delayMs) : setImmediate(resolve)));
  }

  /** Resolves true when the receiver consumed every chunk and accepted the snapshot. */
  private async streamSnapshot(message: Message, chunks: () => AsyncIterable<Uint8Array>): Promise<boolean> {
    await this.linkDelay(message.to);
    const receiver = this.reachablePeer(message.to);
    if (receiver === undefined || receiver.handlers === null) return false;
    const counters = this.peerCounters.of(message.to);
    const incoming = new ConsumedChunks(this.relayChunks(message.to, chunks(), counters));
    const atReceiver = receiver.peerCounters.of(this.id);
    try {
      await receiver.handlers.onSnapshot(copyMessage(message), incoming);
      if (!incoming.consumedAll) throw new Error(SNAPSHOT_NOT_CONSUMED);
      atReceiver.snapshotsReceived += 1;
      return true;
    } catch {
      atReceiver.snapshotsReceiveFailed += 1;
      return false;
    }
  }

  /** Copies each chunk across, failing the transfer if the link goes down midway. */
  private async *relayChunks(to: NodeId, chunks: AsyncIterable<Uint8Array>, counters: PeerCounters): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks) {
      if (this.closed || this.reachablePeer(to) === undefined) throw new Error(`the link to member ${to} went down during the snapshot`);
      counters.bytesSent += chunk.byteLength;
      yield chunk.slice();
    }
  }
}

/** Runs a call handler and turns its failure into the error a remote caller would see. */
async function invoke(handler: PeerCallHandler, payload: Uint8Array, from: NodeId, to: NodeId, method: string): Promise<Uint8Array> {
  try {
    return await handler(payload, from);
  } catch (error) {
    throw transportError('TRANSPORT_CALL_FAILED', { peer: to, method, reason: error instanceof Error ? error.message : String(error) });
  }
}

/** A deep copy, as decoding on a real receiver would make. */
function copyMessage(message: Message): Message {
  return {
    ...message,
    entries: message.entries.map((entry) => ({ ...entry, data: entry.data.slice() })),
    snapshot: message.snapshot === null ? null : { metadata: message.snapshot.metadata, data: message.snapshot.data.slice() },
    context: message.context.slice(),
  };
}
