// The peer network of the node simulator, in virtual time: each link delivers in order after a
// seeded delay, drops a seeded share of Raft messages, and is cut while a partition separates
// its ends. Messages cross through the wire codec, so no object is shared between nodes.
// A node's transport dies with its incarnation: nothing reaches or leaves a crashed node.

import type { Message, NodeId } from '../../../src/raft/types.js';
import { decodeMessage, encodeMessage } from '../../../src/codec/raft-codec.js';
import type { SeededRandom } from '../../../src/raft/random.js';
import { transportError } from '../../../src/transport/errors.js';
import type { PeerCounters } from '../../../src/transport/peer-counters.js';
import type { PeerCallHandler, PeerTransport, TransportHandlers } from '../../../src/transport/transport.js';
import { between, chance } from '../simulation-random.js';
import type { VirtualTime } from './virtual-time.js';

export interface NetworkProfile {
  readonly delayMsMin: number;
  readonly delayMsMax: number;
  /** Share of Raft messages lost on a link that is up. */
  readonly dropRate: number;
}

export class SimulatedPeerNetwork {
  private readonly endpoints = new Map<NodeId, SimulatedTransport>();
  // Invariant: holds both directions of every cut link, as `${from}>${to}`.
  private readonly cutLinks = new Set<string>();
  private readonly lastDeliveryMs = new Map<string, number>();
  /** Snapshots that began streaming to a follower: the install path was exercised. */
  snapshotsSent = 0;

  constructor(
    private readonly time: VirtualTime,
    private readonly random: SeededRandom,
    private readonly profile: NetworkProfile,
    /** Sees every Raft message a node sends, before the network may lose it. */
    readonly observeSent: (message: Message) => void,
  ) {}

  /** A transport for one incarnation of `id`; it stops with `alive()`. */
  transport(id: NodeId, alive: () => boolean): PeerTransport {
    return new SimulatedTransport(this, id, alive);
  }

  /** Cuts every link between `side` and the other nodes. */
  isolate(side: NodeId, others: readonly NodeId[]): void {
    for (const other of others) {
      if (other === side) continue;
      this.cutLinks.add(`${side}>${other}`);
      this.cutLinks.add(`${other}>${side}`);
    }
  }

  heal(): void {
    this.cutLinks.clear();
  }

  canReach(from: NodeId, to: NodeId): boolean {
    return !this.cutLinks.has(`${from}>${to}`);
  }

  /** @internal */
  listen(transport: SimulatedTransport): void {
    this.endpoints.set(transport.id, transport);
  }

  /** @internal Runs `arrive` at the receiver after the link's delay, in order per link; false if the link is cut. */
  carry(from: NodeId, to: NodeId, arrive: (receiver: SimulatedTransport) => void): boolean {
    if (!this.canReach(from, to)) return false;
    const link = `${from}>${to}`;
    const atMs = Math.max(this.time.nowMs + between(this.random, this.profile.delayMsMin, this.profile.delayMsMax), this.lastDeliveryMs.get(link) ?? 0);
    this.lastDeliveryMs.set(link, atMs);
    this.time.after(atMs - this.time.nowMs, () => {
      const receiver = this.endpoints.get(to);
      if (receiver !== undefined && receiver.listening && this.canReach(from, to)) arrive(receiver);
    });
    return true;
  }

  dropped(): boolean {
    return chance(this.random, this.profile.dropRate);
  }

  sleep(delayMs: number): Promise<void> {
    return this.time.sleep(delayMs);
  }
}

class SimulatedTransport implements PeerTransport {
  handlers: TransportHandlers | null = null;
  private readonly callHandlers = new Map<string, PeerCallHandler>();
  private readonly peers = new Set<NodeId>();
  private readonly snapshotsInFlight = new Set<NodeId>();
  private closed = false;

  constructor(
    private readonly network: SimulatedPeerNetwork,
    readonly id: NodeId,
    private readonly alive: () => boolean,
  ) {}

  get listening(): boolean {
    return !this.closed && this.alive() && this.handlers !== null;
  }

  start(handlers: TransportHandlers): Promise<void> {
    this.handlers = handlers;
    this.network.listen(this);
    return Promise.resolve();
  }

  setPeer(id: NodeId): void {
    this.peers.add(id);
  }

  removePeer(id: NodeId): void {
    this.peers.delete(id);
  }

  send(messages: readonly Message[]): void {
    if (!this.listening) return;
    for (const message of messages) {
      this.network.observeSent(message);
      if (!this.peers.has(message.to) || this.network.dropped()) continue;
      const bytes = encodeMessage(message);
      const carried = this.network.carry(this.id, message.to, (receiver) => receiver.handlers!.onMessages([decodeMessage(bytes)]));
      if (!carried) this.reportUnreachable(message.to);
    }
  }

  sendSnapshot(message: Message, chunks: () => AsyncIterable<Uint8Array>): void {
    const peer = message.to;
    if (!this.listening) return;
    if (this.snapshotsInFlight.has(peer)) {
      void this.network.sleep(0).then(() => this.reportSnapshot(peer, false));
      return;
    }
    this.snapshotsInFlight.add(peer);
    this.network.snapshotsSent++;
    void this.streamSnapshot(message, chunks).then((ok) => {
      this.snapshotsInFlight.delete(peer);
      this.reportSnapshot(peer, ok);
    });
  }

  handle(method: string, handler: PeerCallHandler): void {
    this.callHandlers.set(method, handler);
  }

  /** The request and the answer each cross the link; a cut link or a dead peer shows as a timeout. */
  call(to: NodeId, method: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (!this.listening) return Promise.reject(transportError('TRANSPORT_CLOSED'));
    if (!this.peers.has(to)) return Promise.reject(transportError('TRANSPORT_UNKNOWN_PEER', { peer: to }));
    return new Promise((resolve, reject) => {
      void this.network.sleep(timeoutMs).then(() => reject(transportError('TRANSPORT_TIMEOUT', { peer: to, method, timeoutMs })));
      const request = payload.slice();
      this.network.carry(this.id, to, (receiver) => {
        const handler = receiver.callHandlers.get(method);
        if (handler === undefined) {
          reject(transportError('TRANSPORT_UNKNOWN_METHOD', { peer: to, method }));
          return;
        }
        handler(request, this.id).then(
          (answer) => this.network.carry(to, this.id, () => resolve(answer.slice())),
          (error: unknown) => {
            const reason = error instanceof Error ? error.message : String(error);
            this.network.carry(to, this.id, () => reject(transportError('TRANSPORT_CALL_FAILED', { peer: to, method, reason })));
          },
        );
      });
    });
  }

  counters(): ReadonlyMap<NodeId, Readonly<PeerCounters>> {
    return new Map();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** Reads the sender's state now, carries it across and resolves true once the receiver persisted it. */
  private async streamSnapshot(message: Message, chunks: () => AsyncIterable<Uint8Array>): Promise<boolean> {
    const data: Uint8Array[] = [];
    for await (const chunk of chunks()) data.push(chunk.slice());
    const bytes = encodeMessage(message);
    return new Promise((resolve) => {
      const carried = this.network.carry(this.id, message.to, (receiver) => {
        receiver.handlers!.onSnapshot(decodeMessage(bytes), replay(data)).then(
          () => this.network.carry(message.to, this.id, () => resolve(true)) || resolve(false),
          () => resolve(false),
        );
      });
      if (!carried) resolve(false);
      // A receiver that dies or is cut off midway never answers: the sender gives up after a while.
      void this.network.sleep(SNAPSHOT_ANSWER_MS_MAX).then(() => resolve(false));
    });
  }

  private reportUnreachable(peer: NodeId): void {
    void this.network.sleep(0).then(() => {
      if (this.listening) this.handlers!.onUnreachable(peer);
    });
  }

  private reportSnapshot(peer: NodeId, ok: boolean): void {
    if (this.listening) this.handlers!.onSnapshotStatus(peer, ok);
  }
}

/** How long a sender waits for a snapshot's receiver to answer before it reports a failure. */
const SNAPSHOT_ANSWER_MS_MAX = 2_000;

async function* replay(chunks: readonly Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}
