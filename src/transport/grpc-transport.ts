// The PeerTransport over gRPC (@grpc/grpc-js) on the raft port. One client channel per peer
// carries that peer's Messages stream (PeerSender), snapshot streams and calls; the server
// side (peer-receiver.ts) admits only this cluster. Nothing here ever waits on a peer
// inside send(): a slow or dead peer costs dropped messages, never a blocked Ready loop.
// A member opens its stream to every peer as soon as it listens, and a peer's incoming stream
// ends our backoff towards it: a restarted member is reached again at once, not after the
// few seconds a backoff grown while it was down would take.

import {
  Client,
  Metadata,
  Server,
  status as GrpcStatus,
  type ChannelOptions,
  type ServiceError,
} from '@grpc/grpc-js';
import { silentLogger } from '../observability/logger.js';
import type { Message, NodeId } from '../raft/types.js';
import { transportError, type TransportError } from './errors.js';
import { resolveGrpcTransportOptions, type GrpcTransportOptions, type ResolvedGrpcTransportOptions } from './grpc-transport-options.js';
import { TransportCounters, type PeerCounters } from './peer-counters.js';
import { peerServiceImplementation } from './peer-receiver.js';
import { PeerSender, type PeerSenderContext } from './peer-sender.js';
import { peerService } from './peer-service.js';
import { sendSnapshotStream } from './snapshot-sender.js';
import type { PeerCallHandler, PeerTransport, TransportHandlers } from './transport.js';
import { CLUSTER_ID_METADATA_KEY, MEMBER_ID_METADATA_KEY } from './wire-format.js';

interface Peer {
  client: Client;
  readonly sender: PeerSender;
}

/** How soon a peer's name is looked up again after it did not resolve. */
const DNS_RESOLUTION_INTERVAL_MS = 1_000;

export class GrpcTransport implements PeerTransport {
  private readonly options: ResolvedGrpcTransportOptions;
  private readonly server: Server;
  private readonly peers = new Map<NodeId, Peer>();
  private readonly callHandlers = new Map<string, PeerCallHandler>();
  private readonly peerCounters = new TransportCounters();
  // Invariant: holds a peer exactly while a snapshot to it is being sent.
  private readonly snapshotsInFlight = new Set<NodeId>();
  private readonly closing = new AbortController();
  private readonly senderContext: PeerSenderContext;
  private handlers: TransportHandlers | null = null;
  private boundPort = 0;

  constructor(options: GrpcTransportOptions) {
    this.options = resolveGrpcTransportOptions(options, silentLogger);
    const metadata = new Metadata();
    metadata.set(CLUSTER_ID_METADATA_KEY, this.options.clusterId);
    metadata.set(MEMBER_ID_METADATA_KEY, String(this.options.memberId));
    this.senderContext = {
      options: this.options,
      metadata,
      logger: this.options.logger,
      onUnreachable: (peer) => this.handlers?.onUnreachable(peer),
      onRoundTrip: (peer, sampleMs) => this.peerCounters.recordRoundTrip(peer, sampleMs),
    };
    this.server = new Server(this.channelOptions());
    this.server.addService(
      peerService,
      peerServiceImplementation({
        clusterId: this.options.clusterId,
        memberId: this.options.memberId,
        logger: this.options.logger,
        counters: this.peerCounters,
        callHandlers: this.callHandlers,
        onPeerStream: (peer) => this.peerIsUp(peer),
        handlers: () => (this.closing.signal.aborted ? null : this.handlers),
      }),
    );
  }

  /** The port the server listens on; known once start() resolved. */
  get port(): number {
    return this.boundPort;
  }

  async start(handlers: TransportHandlers): Promise<void> {
    if (this.closing.signal.aborted) throw transportError('TRANSPORT_CLOSED');
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(this.options.listenAddress, this.options.serverCredentials, (error, port) =>
        error === null ? resolve(port) : reject(error),
      );
    });
    this.handlers = handlers;
    this.options.logger.info({ address: this.options.listenAddress, port: this.boundPort }, 'peer transport listening');
    for (const peer of this.peers.values()) peer.sender.connect();
  }

  setPeer(id: NodeId, address: string): void {
    const existing = this.peers.get(id);
    if (existing?.sender.address === address || this.closing.signal.aborted) return;
    if (existing !== undefined) this.closePeer(existing);
    const client = this.channelTo(address);
    const sender = new PeerSender(id, address, client, this.peerCounters.of(id), this.senderContext);
    this.peers.set(id, { client, sender });
    if (this.handlers !== null) sender.connect();
  }

  removePeer(id: NodeId): void {
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    this.peers.delete(id);
    this.closePeer(peer);
  }

  send(messages: readonly Message[]): void {
    if (this.closing.signal.aborted) return;
    for (const message of messages) {
      const peer = this.peers.get(message.to);
      if (peer !== undefined) peer.sender.enqueue(message);
      else this.dropForUnknownPeer(message.to);
    }
  }

  sendSnapshot(message: Message, chunks: () => AsyncIterable<Uint8Array>): void {
    const peerId = message.to;
    const peer = this.peers.get(peerId);
    const counters = this.peerCounters.of(peerId);
    if (this.closing.signal.aborted) return;
    if (peer === undefined || this.snapshotsInFlight.has(peerId)) {
      counters.snapshotsFailed += 1;
      setImmediate(() => this.handlers?.onSnapshotStatus(peerId, false));
      return;
    }
    this.snapshotsInFlight.add(peerId);
    const send = {
      client: peer.client,
      metadata: this.senderContext.metadata,
      message,
      chunks: chunks(),
      chunkBytesMax: this.options.snapshotChunkBytesMax,
      counters,
      signal: this.closing.signal,
    };
    void sendSnapshotStream(send).then(
      () => this.snapshotFinished(peerId, counters, null),
      (error: unknown) => this.snapshotFinished(peerId, counters, error),
    );
  }

  handle(method: string, handler: PeerCallHandler): void {
    this.callHandlers.set(method, handler);
  }

  call(to: NodeId, method: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closing.signal.aborted) return Promise.reject(transportError('TRANSPORT_CLOSED'));
    const peer = this.peers.get(to);
    if (peer === undefined) return Promise.reject(transportError('TRANSPORT_UNKNOWN_PEER', { peer: to }));
    return new Promise((resolve, reject) => {
      peer.client.makeUnaryRequest(
        peerService.call.path,
        peerService.call.requestSerialize,
        peerService.call.responseDeserialize,
        { method, payload },
        this.senderContext.metadata,
        { deadline: Date.now() + timeoutMs },
        (error: ServiceError | null, answer?: Buffer) => {
          if (error === null && answer !== undefined) resolve(answer);
          else reject(callError(error, to, method, timeoutMs));
        },
      );
    });
  }

  counters(): ReadonlyMap<NodeId, Readonly<PeerCounters>> {
    return this.peerCounters.read();
  }

  /** Messages queued for a peer right now (for tests and the node's metrics). */
  queuedFor(peer: NodeId): { readonly messages: number; readonly bytes: number } {
    const sender = this.peers.get(peer)?.sender;
    return { messages: sender?.queuedMessages ?? 0, bytes: sender?.queuedBytesNow ?? 0 };
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    for (const peer of this.peers.values()) this.closePeer(peer);
    this.peers.clear();
    // Peers keep their streams to us open, so a graceful shutdown would wait on them: the
    // member is leaving (a leader transferred leadership first), so cut them off at once.
    this.server.forceShutdown();
    this.options.logger.info({ port: this.boundPort }, 'peer transport closed');
  }

  /**
   * A peer opened its stream to us. If ours to it is backing off, reconnect now on a fresh
   * channel: grpc-js keeps a connection backoff of its own and offers no way to reset it. A
   * channel with a snapshot in flight is kept; the stream's own backoff is ended either way.
   */
  private peerIsUp(id: NodeId): void {
    const peer = this.peers.get(id);
    if (peer === undefined || !peer.sender.backingOff || this.closing.signal.aborted) return;
    if (!this.snapshotsInFlight.has(id)) {
      peer.client.close();
      peer.client = this.channelTo(peer.sender.address);
    }
    peer.sender.reconnectNow(peer.client);
  }

  private channelTo(address: string): Client {
    return new Client(address, this.options.channelCredentials, this.channelOptions());
  }

  private closePeer(peer: Peer): void {
    peer.sender.close();
    peer.client.close();
  }

  private dropForUnknownPeer(peer: NodeId): void {
    this.peerCounters.of(peer).messagesDropped += 1;
    setImmediate(() => {
      if (!this.closing.signal.aborted) this.handlers?.onUnreachable(peer);
    });
  }

  private snapshotFinished(peer: NodeId, counters: PeerCounters, error: unknown): void {
    this.snapshotsInFlight.delete(peer);
    if (error === null) counters.snapshotsSent += 1;
    else {
      counters.snapshotsFailed += 1;
      this.options.logger.warn({ peer, reason: (error as Error).message }, 'sending a snapshot failed');
    }
    if (!this.closing.signal.aborted) this.handlers?.onSnapshotStatus(peer, error === null);
  }

  private channelOptions(): ChannelOptions {
    const { messageBytesMax, keepaliveIntervalMs, keepaliveTimeoutMs, reconnectDelayInitialMs } = this.options;
    return {
      'grpc.max_receive_message_length': messageBytesMax,
      'grpc.max_send_message_length': messageBytesMax,
      'grpc.keepalive_time_ms': keepaliveIntervalMs,
      'grpc.keepalive_timeout_ms': keepaliveTimeoutMs,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': Math.min(keepaliveIntervalMs, 5_000),
      // grpc-js backs off its own reconnects up to two minutes by default. The sender's backoff
      // already spaces the attempts, and the two would add up, so the channel's stays short.
      'grpc.initial_reconnect_backoff_ms': reconnectDelayInitialMs,
      'grpc.max_reconnect_backoff_ms': reconnectDelayInitialMs,
      // A member is often added before its name resolves (a Kubernetes pod made after the
      // member was added): grpc-js would look the name up again only every 30 s.
      'grpc.dns_min_time_between_resolutions_ms': DNS_RESOLUTION_INTERVAL_MS,
      // Channelz statistics stay on here: with them off (grpc-js 1.x) a channel to a peer that
      // restarted on the same port was never noticed as broken, and close() waited out calls in
      // flight. Peer traffic is a few long-lived streams, so the per-call cost does not matter.
    };
  }
}

/** Maps a failed call's gRPC status to the transport's error codes. */
function callError(error: ServiceError | null, peer: NodeId, method: string, timeoutMs: number): TransportError {
  const reason = error?.details ?? 'no answer';
  switch (error?.code) {
    case GrpcStatus.DEADLINE_EXCEEDED:
      return transportError('TRANSPORT_TIMEOUT', { peer, method, timeoutMs });
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.CANCELLED:
      return transportError('TRANSPORT_UNREACHABLE', { peer, reason });
    case GrpcStatus.UNIMPLEMENTED:
      return transportError('TRANSPORT_UNKNOWN_METHOD', { peer, method });
    case GrpcStatus.FAILED_PRECONDITION:
      return transportError('TRANSPORT_CLUSTER_MISMATCH', { peer, reason });
    default:
      return transportError('TRANSPORT_CALL_FAILED', { peer, method, reason });
  }
}
