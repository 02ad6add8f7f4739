// What the peer transport counts, per peer, on /metrics under etcd's names (etcd_network_* as
// bvault_network_*). The transport keeps plain counters on its hot path; they are read into
// the metrics only when /metrics is scraped. The peer label is the member id in hex, as
// `bvault member list` and etcdctl show it.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { NodeId } from '../raft/types.js';
import type { PeerCounters } from '../transport/peer-counters.js';

type ReadCounters = () => ReadonlyMap<NodeId, Readonly<PeerCounters>>;

const peerLabel = (peer: NodeId): string => peer.toString(16);

/** A counter that reports a total the transport keeps, per peer. */
function peerTotal(registry: Registry, read: ReadCounters, name: string, help: string, label: 'To' | 'From', value: (counters: Readonly<PeerCounters>) => number): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [peer, counters] of read()) this.inc({ [label]: peerLabel(peer) }, value(counters));
    },
  });
}

/** A gauge of each peer's current value. */
function peerGauge(registry: Registry, read: ReadCounters, name: string, help: string, label: 'To' | 'Remote', value: (counters: Readonly<PeerCounters>) => number): void {
  new Gauge({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [peer, counters] of read()) this.set({ [label]: peerLabel(peer) }, value(counters));
    },
  });
}

export function registerPeerMetrics(registry: Registry, read: ReadCounters): void {
  peerTotal(registry, read, 'bvault_network_peer_sent_bytes_total', 'Bytes of Raft messages and snapshot chunks sent to each peer.', 'To', (counters) => counters.bytesSent);
  peerTotal(registry, read, 'bvault_network_peer_received_bytes_total', 'Bytes of Raft messages and snapshot chunks received from each peer.', 'From', (counters) => counters.bytesReceived);
  peerTotal(registry, read, 'bvault_network_peer_sent_failures_total', 'Messages to each peer that were not sent: its stream was down or its queue full (Raft sends them again).', 'To', (counters) => counters.messagesDropped);
  peerTotal(registry, read, 'bvault_network_snapshot_send_success_total', 'Snapshots sent to each peer in full.', 'To', (counters) => counters.snapshotsSent);
  peerTotal(registry, read, 'bvault_network_snapshot_send_failures_total', 'Snapshots to each peer that failed on the way.', 'To', (counters) => counters.snapshotsFailed);
  peerGauge(registry, read, 'bvault_network_peer_round_trip_time_seconds', 'Smoothed round-trip time to each peer, as the transport measures it; 0 before the first sample.', 'To', (counters) => counters.roundTripMs / 1000);
  peerGauge(registry, read, 'bvault_network_active_peers', 'Whether messages reach each peer now (its stream is open and answered): 1 is yes, 0 is no.', 'Remote', (counters) => (counters.active ? 1 : 0));
}
