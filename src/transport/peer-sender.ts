// The outgoing half of one peer link: a bounded queue of encoded messages and one Messages
// stream. Whatever is queued when the stream can take more goes out as one frame; when
// write() says the stream is full the sender waits for 'drain' and the queue absorbs the
// rest up to its limits. Past the limits, or while the peer is known to be down, messages
// are dropped and the peer reported unreachable, because Raft retransmits and the Ready
// loop must never wait. A failed stream is opened again after an exponential backoff, or at
// once when the peer shows it is back by opening its own stream to us.

import { status as GrpcStatus, type Client, type ClientDuplexStream, type Metadata, type StatusObject } from '@grpc/grpc-js';
import { encodeMessage } from '../codec/raft-codec.js';
import type { Logger } from '../observability/logger.js';
import type { Message, NodeId } from '../raft/types.js';
import type { ResolvedGrpcTransportOptions } from './grpc-transport-options.js';
import type { PeerCounters } from './peer-counters.js';
import { peerService } from './peer-service.js';
import { reconnectDelayMs } from './reconnect-backoff.js';
import { frameBytesOf, type OutgoingFrame } from './wire-format.js';

/**
 * At most one round-trip sample per peer this often. An ack costs the peer a write and this
 * member a read and a wake-up; asked on every frame, a lone write paid for four of them.
 */
const ROUND_TRIP_SAMPLE_INTERVAL_MS = 1_000;

/**
 * How Node's TLS words a certificate the other side does not trust, or a handshake it refused
 * (with an alert, or by closing the connection before the handshake ended).
 */
const TLS_FAILURE = /certificate|handshake|alert|SSL routines|before secure TLS connection/i;

export interface PeerSenderContext {
  readonly options: ResolvedGrpcTransportOptions;
  readonly metadata: Metadata;
  readonly logger: Logger;
  readonly onUnreachable: (peer: NodeId) => void;
  readonly onRoundTrip: (peer: NodeId, sampleMs: number) => void;
}

type FrameStream = ClientDuplexStream<OutgoingFrame, Buffer>;

export class PeerSender {
  // Invariant: queuedBytes is the sum of the byte lengths in queue; both stay within the limits.
  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private stream: FrameStream | null = null;
  /** The server answered the stream's headers, so the peer is up and accepts this cluster. */
  private streamConfirmed = false;
  private waitingForDrain = false;
  private flushScheduled = false;
  private unreachableReported = false;
  /** Consecutive stream failures; 0 while healthy. */
  private failures = 0;
  /** Whether this run of failures has logged a failed TLS handshake yet; once is enough. */
  private tlsFailureLogged = false;
  /**
   * Until this time (monotonic: a wall clock stepped forward and back again must not hold a
   * peer down for the size of the step) the peer counts as down and messages to it are dropped.
   */
  private retryAtMs = 0;
  /** When the frame awaiting an ack was sent; null when no round-trip sample is out. */
  private sampleSentAtMs: number | null = null;
  /** No frame asks for an ack before this time (monotonic). */
  private nextSampleAtMs = 0;
  private closed = false;
  private readonly flushBound = (): void => this.flush();
  private readonly drainBound = (): void => {
    this.waitingForDrain = false;
    this.flush();
  };

  constructor(
    readonly peer: NodeId,
    readonly address: string,
    private client: Client,
    private readonly counters: PeerCounters,
    private readonly context: PeerSenderContext,
  ) {}

  /** Queues a message for the next frame, or drops it; never waits. */
  enqueue(message: Message): void {
    if (this.closed) return;
    if (this.stream === null && performance.now() < this.retryAtMs) return this.drop(1);
    const encoded = encodeMessage(message);
    const { queuedMessagesMax, queuedBytesMax, messageBytesMax } = this.context.options;
    const tooLarge = frameBytesOf(encoded.byteLength, 1) > messageBytesMax;
    if (tooLarge || this.queue.length >= queuedMessagesMax || this.queuedBytes + encoded.byteLength > queuedBytesMax) {
      return this.drop(1);
    }
    this.queue.push(encoded);
    this.queuedBytes += encoded.byteLength;
    if (this.stream === null) this.open();
    if (!this.flushScheduled && !this.waitingForDrain) {
      // Flushing on the next turn lets every message of this Ready share one frame.
      this.flushScheduled = true;
      setImmediate(this.flushBound);
    }
  }

  /** Opens the stream now, so the peer learns at once that this member is up. */
  connect(): void {
    if (!this.closed && this.stream === null) this.open();
  }

  /** Whether the stream is down and waiting out its backoff. */
  get backingOff(): boolean {
    return this.stream === null && this.failures > 0;
  }

  /**
   * The peer opened a stream to us, so it is up again: forget the backoff and open the stream
   * at once on `client`, a fresh channel whose own connection backoff is reset too.
   */
  reconnectNow(client: Client): void {
    if (this.closed) return;
    this.client = client;
    this.retryAtMs = 0;
    this.open();
  }

  get queuedMessages(): number {
    return this.queue.length;
  }

  get queuedBytesNow(): number {
    return this.queuedBytes;
  }

  /** Ends the stream at once; what is queued is dropped silently, as the member is going away. */
  close(): void {
    this.closed = true;
    this.counters.active = false;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.stream?.cancel();
    this.stream = null;
  }

  private open(): void {
    const stream: FrameStream = this.client.makeBidiStreamRequest(
      peerService.messages.path,
      peerService.messages.requestSerialize,
      peerService.messages.responseDeserialize,
      this.context.metadata,
      {},
    );
    this.stream = stream;
    this.streamConfirmed = false;
    stream.on('metadata', () => this.confirm(stream));
    stream.on('data', () => this.acknowledged());
    // Errors also arrive as 'status'; the listener only keeps them from being thrown.
    stream.on('error', () => undefined);
    stream.on('status', (status: StatusObject) => this.failed(stream, status));
  }

  private confirm(stream: FrameStream): void {
    if (stream !== this.stream) return;
    this.streamConfirmed = true;
    this.counters.active = true;
    if (this.failures > 0) {
      this.counters.reconnects += 1;
      this.context.logger.info({ peer: this.peer, address: this.address }, 'peer stream reconnected');
    }
    this.failures = 0;
    this.tlsFailureLogged = false;
  }

  private acknowledged(): void {
    if (this.sampleSentAtMs === null) return;
    this.context.onRoundTrip(this.peer, performance.now() - this.sampleSentAtMs);
    this.sampleSentAtMs = null;
  }

  /** Writes everything queued, frame by frame, until the queue is empty or the stream is full. */
  private flush(): void {
    this.flushScheduled = false;
    const stream = this.stream;
    if (stream === null || this.waitingForDrain) return;
    while (this.queue.length > 0) {
      const frame = this.takeFrame();
      if (!stream.write(frame)) {
        this.waitingForDrain = true;
        stream.once('drain', this.drainBound);
        return;
      }
    }
  }

  private takeFrame(): OutgoingFrame {
    const { frameBytesMax } = this.context.options;
    let count = 0;
    let bytes = 0;
    for (const encoded of this.queue) {
      if (count > 0 && frameBytesOf(bytes + encoded.byteLength, count + 1) > frameBytesMax) break;
      count += 1;
      bytes += encoded.byteLength;
    }
    const messages = this.queue.splice(0, count);
    this.queuedBytes -= bytes;
    const now = performance.now();
    const ackRequested = this.sampleSentAtMs === null && this.streamConfirmed && now >= this.nextSampleAtMs;
    if (ackRequested) {
      this.sampleSentAtMs = now;
      this.nextSampleAtMs = now + ROUND_TRIP_SAMPLE_INTERVAL_MS;
    }
    this.counters.messagesSent += count;
    this.counters.bytesSent += bytes;
    this.counters.framesSent += 1;
    return { messages, ackRequested };
  }

  /** The stream ended: drop what is queued, report the peer and back off before reopening. */
  private failed(stream: FrameStream, status: StatusObject): void {
    if (stream !== this.stream || this.closed) return;
    this.stream = null;
    this.counters.active = false;
    this.waitingForDrain = false;
    this.sampleSentAtMs = null;
    stream.removeListener('drain', this.drainBound);
    this.drop(this.queue.length);
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.failures += 1;
    const delayMs = reconnectDelayMs(this.context.options, this.failures);
    this.retryAtMs = performance.now() + delayMs;
    this.logFailure(status, delayMs);
  }

  private logFailure(status: StatusObject, delayMs: number): void {
    const fields = { peer: this.peer, address: this.address, code: status.code, reason: status.details, retryInMs: Math.round(delayMs) };
    if (status.code === GrpcStatus.FAILED_PRECONDITION) {
      this.context.logger.error(fields, 'peer refused this member: it belongs to another cluster');
    } else if (!this.tlsFailureLogged && TLS_FAILURE.test(status.details)) {
      // Not a passing fault: it lasts until someone fixes a certificate or a CA.
      this.tlsFailureLogged = true;
      this.context.logger.error(fields, 'TLS handshake with the peer failed: its certificate is not signed by peer-trusted-ca-file, or it refused ours');
    } else if (this.failures === 1) {
      this.context.logger.warn(fields, 'peer stream failed; messages to the peer are dropped until it reconnects');
    } else {
      this.context.logger.debug(fields, 'peer stream failed again');
    }
  }

  /** Counts dropped messages and reports the peer unreachable once per turn of the event loop. */
  private drop(count: number): void {
    this.counters.messagesDropped += count;
    if (this.unreachableReported) return;
    this.unreachableReported = true;
    setImmediate(() => {
      this.unreachableReported = false;
      if (!this.closed) this.context.onUnreachable(this.peer);
    });
  }
}
