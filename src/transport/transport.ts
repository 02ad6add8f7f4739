// The seam between a node and its peers. The node hands Raft messages over without waiting;
// the transport batches them per peer, drops what a slow or dead peer cannot take (Raft
// retransmits) and reports it unreachable, so no peer can ever block the Ready loop.
// Implementations: GrpcTransport (the network) and InMemoryTransport (tests), which pass
// one shared contract suite.

import type { Message, NodeId } from '../raft/types.js';
import type { PeerCounters } from './peer-counters.js';

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
  /**
   * Streams a snapshot's data in chunks; the outcome arrives as onSnapshotStatus. At most one
   * snapshot is in flight per peer: another one sent meanwhile is reported failed at once.
   */
  sendSnapshot(message: Message, chunks: () => AsyncIterable<Uint8Array>): void;
  /** Registers the handler of a named peer call. */
  handle(method: string, handler: PeerCallHandler): void;
  /**
   * Calls a named handler on a peer. Rejects with a TransportError: TRANSPORT_UNKNOWN_PEER,
   * TRANSPORT_UNREACHABLE, TRANSPORT_TIMEOUT (the handler may still have run),
   * TRANSPORT_UNKNOWN_METHOD, TRANSPORT_CALL_FAILED (the handler rejected; its message is the
   * reason) or TRANSPORT_CLUSTER_MISMATCH.
   */
  call(to: NodeId, method: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** A copy of the per-peer counters, for metrics. */
  counters(): ReadonlyMap<NodeId, Readonly<PeerCounters>>;
  /** Ends every stream and the listener; sends after close are dropped. */
  close(): Promise<void>;
}
