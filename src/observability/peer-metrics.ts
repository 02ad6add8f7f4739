// What the peer transport counts, per peer, on /metrics under etcd's names (etcd_network_* as
// bvault_network_*). The transport keeps plain counters on its hot path; they are read into
// the metrics only when /metrics is scraped. The peer label is the member id in hex, as
// `bvault member list` and etcdctl show it.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { NodeId } from '../raft/types.js';
import type { PeerCounters } from '../transport/peer-counters.js';

type ReadCounters = () => ReadonlyMap<NodeId, Readonly<PeerCounters>>;

const peerLabel = (peer: NodeId): string => peer.toString(16);

interface PeerMetric {
  readonly name: string;
  readonly help: string;
  /** A total the transport keeps (a counter), or a current value (a gauge). */
  readonly type: 'counter' | 'gauge';
  readonly label: 'To' | 'From' | 'Remote';
  readonly value: (counters: Readonly<PeerCounters>) => number;
}

function registerPeerMetric(registry: Registry, read: ReadCounters, metric: PeerMetric): void {
  const config = {
    name: metric.name,
    help: metric.help,
    labelNames: [metric.label],
    registers: [registry],
    collect(this: Counter | Gauge) {
      this.reset();
      for (const [peer, counters] of read()) {
        const labels = { [metric.label]: peerLabel(peer) };
        if (this instanceof Counter) this.inc(labels, metric.value(counters));
        else this.set(labels, metric.value(counters));
      }
    },
  };
  if (metric.type === 'counter') new Counter(config);
  else new Gauge(config);
}

export function registerPeerMetrics(registry: Registry, read: ReadCounters): void {
  const metrics: PeerMetric[] = [
    { name: 'bvault_network_peer_sent_bytes_total', help: 'Bytes of Raft messages and snapshot chunks sent to each peer.', type: 'counter', label: 'To', value: (counters) => counters.bytesSent },
    { name: 'bvault_network_peer_received_bytes_total', help: 'Bytes of Raft messages and snapshot chunks received from each peer.', type: 'counter', label: 'From', value: (counters) => counters.bytesReceived },
    { name: 'bvault_network_peer_sent_failures_total', help: 'Messages to each peer that were not sent: its stream was down or its queue full (Raft sends them again).', type: 'counter', label: 'To', value: (counters) => counters.messagesDropped },
    { name: 'bvault_network_snapshot_send_success_total', help: 'Snapshots sent to each peer in full.', type: 'counter', label: 'To', value: (counters) => counters.snapshotsSent },
    { name: 'bvault_network_snapshot_send_failures_total', help: 'Snapshots to each peer that failed on the way.', type: 'counter', label: 'To', value: (counters) => counters.snapshotsFailed },
    { name: 'bvault_network_snapshot_receive_success_total', help: 'Snapshots from each peer that were received and installed.', type: 'counter', label: 'From', value: (counters) => counters.snapshotsReceived },
    { name: 'bvault_network_snapshot_receive_failures_total', help: 'Snapshots from each peer that were not installed: cut off, malformed or refused.', type: 'counter', label: 'From', value: (counters) => counters.snapshotsReceiveFailed },
    { name: 'bvault_network_peer_round_trip_time_seconds', help: 'Smoothed round-trip time to each peer, as the transport measures it; 0 before the first sample.', type: 'gauge', label: 'To', value: (counters) => counters.roundTripMs / 1000 },
    { name: 'bvault_network_active_peers', help: 'Whether messages reach each peer now (its stream is open and answered): 1 is yes, 0 is no.', type: 'gauge', label: 'Remote', value: (counters) => (counters.active ? 1 : 0) },
  ];
  for (const metric of metrics) registerPeerMetric(registry, read, metric);
}
