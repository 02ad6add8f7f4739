// Prometheus metrics of one node, on a registry per node so that several
// nodes can run in one process. Names follow etcd's where a dashboard user would look for
// them (etcd_server_has_leader becomes bvault_server_has_leader, and so on).

import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Disk and commit latencies: from 1 ms to about 8 s, doubling, as etcd buckets them. */
const DISK_SECONDS_BUCKETS = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192];
/** etcd's warning-apply-duration: an apply slower than this holds up every request behind it. */
export const SLOW_APPLY_SECONDS = 0.1;
const SNAPSHOT_SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300];

export interface NodeMetrics {
  readonly registry: Registry;
  readonly hasLeader: Gauge;
  readonly isLeader: Gauge;
  readonly leaderChangesSeen: Counter;
  readonly proposalsCommitted: Counter;
  readonly proposalsApplied: Counter;
  readonly proposalsPending: Gauge;
  readonly proposalsFailed: Counter<'code'>;
  readonly proposalBytesPending: Gauge;
  readonly readsPending: Gauge;
  /** Requests refused at once because a queue was full (NODE_OVERLOADED), by queue. */
  readonly overloadRefusals: Counter<'queue'>;
  /** Peer messages dropped because the Ready loop's inbox was full, by message type. */
  readonly peerMessagesDropped: Counter<'type'>;
  /** Applying one batch of committed entries, from decoding them to settling their requests. */
  readonly applyDuration: Histogram;
  /** Batches whose apply took longer than SLOW_APPLY_SECONDS. */
  readonly slowApplies: Counter;
  readonly walFsyncDuration: Histogram;
  readonly backendCommitDuration: Histogram;
  readonly databaseSizeBytes: Gauge;
  readonly quotaBytes: Gauge;
  readonly snapshotSaveDuration: Histogram;
  readonly snapshotApplyDuration: Histogram;
  readonly watchers: Gauge;
  /** Keys with a live value. */
  readonly keys: Gauge;
  readonly leases: Gauge;
  /** Leases granted and revoked as this member applied them (a revoke of an expired lease included). */
  readonly leasesGranted: Counter;
  readonly leasesRevoked: Counter;
  /** Revokes of expired leases this member proposed as the leader. */
  readonly leasesExpired: Counter;
  /** Values re-sealed by the running (or last) encryption key rotation. */
  readonly encryptionRotationValuesResealed: Gauge;
  /** Whether an encryption key rotation is running on this member. */
  readonly encryptionRotationRunning: Gauge;
}

/** Registers the node's metrics on `registry` (a fresh one when omitted). */
export function createNodeMetrics(registry: Registry = new Registry()): NodeMetrics {
  const registers = [registry];
  return {
    registry,
    hasLeader: new Gauge({ name: 'bvault_server_has_leader', help: 'Whether a leader exists: 1 is yes, 0 is no.', registers }),
    isLeader: new Gauge({ name: 'bvault_server_is_leader', help: 'Whether this member is the leader: 1 is yes, 0 is no.', registers }),
    leaderChangesSeen: new Counter({ name: 'bvault_server_leader_changes_seen_total', help: 'Leader changes this member has seen.', registers }),
    proposalsCommitted: new Counter({ name: 'bvault_server_proposals_committed_total', help: 'Entries committed by consensus, as seen by this member.', registers }),
    proposalsApplied: new Counter({ name: 'bvault_server_proposals_applied_total', help: 'Entries applied to the state machine.', registers }),
    proposalsPending: new Gauge({ name: 'bvault_server_proposals_pending', help: 'Writes proposed here and not yet applied.', registers }),
    proposalsFailed: new Counter({
      name: 'bvault_server_proposals_failed_total',
      help: 'Writes proposed here that failed before they were applied, by error code.',
      labelNames: ['code'],
      registers,
    }),
    proposalBytesPending: new Gauge({ name: 'bvault_server_proposal_bytes_pending', help: 'Encoded bytes of the writes proposed here and not yet applied.', registers }),
    readsPending: new Gauge({ name: 'bvault_server_reads_pending', help: 'Linearizable reads waiting for a ReadIndex confirmation or for the apply.', registers }),
    overloadRefusals: new Counter({
      name: 'bvault_server_overload_refusals_total',
      help: 'Requests refused at once with NODE_OVERLOADED (etcd: too many requests) because a queue was full, by queue.',
      labelNames: ['queue'],
      registers,
    }),
    peerMessagesDropped: new Counter({
      name: 'bvault_network_peer_messages_dropped_total',
      help: 'Peer messages carrying entries that the full Ready-loop inbox dropped (Raft sends them again), by message type.',
      labelNames: ['type'],
      registers,
    }),
    applyDuration: new Histogram({ name: 'bvault_server_apply_duration_seconds', help: 'Time to apply one batch of committed entries to the state machine and answer their requests.', buckets: DISK_SECONDS_BUCKETS, registers }),
    slowApplies: new Counter({ name: 'bvault_server_slow_apply_total', help: `Batches of committed entries whose apply took longer than ${SLOW_APPLY_SECONDS * 1000} ms.`, registers }),
    walFsyncDuration: new Histogram({ name: 'bvault_disk_wal_fsync_duration_seconds', help: 'Time to make one Ready of the Raft log durable.', buckets: DISK_SECONDS_BUCKETS, registers }),
    backendCommitDuration: new Histogram({
      name: 'bvault_disk_backend_commit_duration_seconds',
      help: 'Time to apply one batch of committed entries to the state machine.',
      buckets: DISK_SECONDS_BUCKETS,
      registers,
    }),
    databaseSizeBytes: new Gauge({ name: 'bvault_mvcc_db_total_size_in_bytes', help: 'Estimated size of the state machine database.', registers }),
    quotaBytes: new Gauge({ name: 'bvault_server_quota_backend_bytes', help: 'The database size above which writes fail with NOSPACE.', registers }),
    snapshotSaveDuration: new Histogram({ name: 'bvault_snapshot_save_duration_seconds', help: 'Time to create a Raft snapshot and compact the log.', buckets: SNAPSHOT_SECONDS_BUCKETS, registers }),
    snapshotApplyDuration: new Histogram({
      name: 'bvault_snapshot_apply_duration_seconds',
      help: 'Time to restore the state machine from a snapshot received from the leader.',
      buckets: SNAPSHOT_SECONDS_BUCKETS,
      registers,
    }),
    watchers: new Gauge({ name: 'bvault_mvcc_watcher_total', help: 'Watchers on this member.', registers }),
    keys: new Gauge({ name: 'bvault_mvcc_keys_total', help: 'Keys with a live value (deleted and expired keys are not counted).', registers }),
    leases: new Gauge({ name: 'bvault_lease_active', help: 'Leases in the replicated lease table.', registers }),
    leasesGranted: new Counter({ name: 'bvault_lease_granted_total', help: 'Leases granted, as this member applied them.', registers }),
    leasesRevoked: new Counter({ name: 'bvault_lease_revoked_total', help: 'Leases revoked, by a client or on expiry, as this member applied them.', registers }),
    leasesExpired: new Counter({ name: 'bvault_lease_expired_total', help: 'Revokes of expired leases this member proposed as the leader; one not applied in time is proposed, and counted, again.', registers }),
    encryptionRotationValuesResealed: new Gauge({
      name: 'bvault_encryption_rotation_values_resealed',
      help: 'Database values re-encrypted under the newest key by the running or last key rotation.',
      registers,
    }),
    encryptionRotationRunning: new Gauge({ name: 'bvault_encryption_rotation_running', help: 'Whether an encryption key rotation is running: 1 is yes, 0 is no.', registers }),
  };
}
