// The seam between a node and its peers. The node hands Raft messages over without waiting;
// the transport batches them per peer, drops what a slow or dead peer cannot take (Raft
// retransmits) and reports it unreachable, so no peer can ever block the Ready loop.
// Implementations: GrpcTransport (the network) and InMemoryTransport (tests), which pass
// one shared contract suite.

import type { Message, NodeId } from '../raft/types.js';

export interface TransportHandlers {
  /** Messages that arrived from peers, in the order each peer sent them. */
  onMessages(messages: readonly Message[]): void;
  /**
   * A snapshot message and its data. The handler consumes `chunks` completely (persisting
   * them) before it resolves; a rejection tells the sender the snapshot failed.
   */
  onSnapshot(message: Message, chunks: AsyncIterable<Uint8Array>): Promise<void>;
  /** A peer could not be reached or dropped messages; Raft should probe it again. */
  onUnreachable(peer: NodeId): void;
  /** A snapshot sent with sendSnapshot finished (ok) or failed. */
  onSnapshotStatus(peer: NodeId, ok: boolean): void;
}

/** A request from one member to another outside Raft (e.g. a lease keep-alive at the leader). */
export type PeerCallHandler = (payload: Uint8Array, from: NodeId) => Promise<Uint8Array>;

export interface PeerTransport {
  /** Starts listening for peers; resolves once the listener is bound. */
  start(handlers: TransportHandlers): Promise<void>;
  /** Adds a peer or changes its address. */
  setPeer(id: NodeId, address: string): void;
  removePeer(id: NodeId): void;
  /** Queues messages for their peers and returns at once. */
  send(messages: readonly Message[]): void;
  /** Streams a snapshot's data in chunks; the outcome arrives as onSnapshotStatus. */
  sendSnapshot(message: Message, chunks: () => AsyncIterable<Uint8Array>): void;
  /** Registers the handler of a named peer call. */
  handle(method: string, handler: PeerCallHandler): void;
  /** Calls a named handler on a peer; rejects on timeout or if the peer is unreachable. */
  call(to: NodeId, method: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  close(): Promise<void>;
}
