// Per-peer counters of a transport, which the node turns into metrics. Counters only grow
// (except the smoothed round-trip time), so a metrics exporter can report them as totals.

import type { NodeId } from '../raft/types.js';

export interface PeerCounters {
  /** Messages handed to the peer's stream (or link); not a promise of delivery. */
  messagesSent: number;
  messagesReceived: number;
  /** Messages dropped because the queue was full, the peer was down or unknown. */
  messagesDropped: number;
  /** Encoded bytes of sent and received messages and snapshot chunks. */
  bytesSent: number;
  bytesReceived: number;
  /** Batches written; messagesSent / framesSent is the batching factor. */
  framesSent: number;
  snapshotsSent: number;
  snapshotsFailed: number;
  /** Snapshots from the peer that were installed, and those that were not (refused, cut off or bad). */
  snapshotsReceived: number;
  snapshotsReceiveFailed: number;
  /** Streams opened again after a failure. */
  reconnects: number;
  /** Smoothed round-trip time (RFC 6298 weights); 0 until the first sample. */
  roundTripMs: number;
  /** Whether messages reach the peer now: the stream to it is open and the peer answered it. */
  active: boolean;
}

/** The weight of a new round-trip sample in the smoothed value, as TCP uses. */
const ROUND_TRIP_SAMPLE_WEIGHT = 1 / 8;

export class TransportCounters {
  private readonly byPeer = new Map<NodeId, PeerCounters>();

  /** The live counters of a peer, created at zero on first use. */
  of(peer: NodeId): PeerCounters {
    let counters = this.byPeer.get(peer);
    if (counters === undefined) {
      counters = {
        messagesSent: 0,
        messagesReceived: 0,
        messagesDropped: 0,
        bytesSent: 0,
        bytesReceived: 0,
        framesSent: 0,
        snapshotsSent: 0,
        snapshotsFailed: 0,
        snapshotsReceived: 0,
        snapshotsReceiveFailed: 0,
        reconnects: 0,
        roundTripMs: 0,
        active: false,
      };
      this.byPeer.set(peer, counters);
    }
    return counters;
  }

  recordRoundTrip(peer: NodeId, sampleMs: number): void {
    const counters = this.of(peer);
    counters.roundTripMs =
      counters.roundTripMs === 0 ? sampleMs : counters.roundTripMs + (sampleMs - counters.roundTripMs) * ROUND_TRIP_SAMPLE_WEIGHT;
  }

  /** A copy, so a metrics scrape never sees a half-updated peer. */
  read(): ReadonlyMap<NodeId, Readonly<PeerCounters>> {
    const copy = new Map<NodeId, Readonly<PeerCounters>>();
    for (const [peer, counters] of this.byPeer) copy.set(peer, { ...counters });
    return copy;
  }
}
