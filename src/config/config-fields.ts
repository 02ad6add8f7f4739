// The one table of server settings. A setting has the same kebab-case name in the YAML file
// and as a flag (`--http-port`), and an upper-snake name in the environment
// (`BVAULT_HTTP_PORT`), so a user who knows one spelling knows all three. The help text and
// the flag parser are generated from this table, so they never disagree with the validator.

import { DEFAULT_GRPC_LIMITS } from '../api/grpc/grpc-limits.js';
import { DEFAULT_QUEUE_LIMITS } from '../node/queue-limits.js';
import { TLS_MIN_VERSIONS } from '../tls/tls-settings.js';

/**
 * How a raw setting is read; `size` accepts a plain byte count or a KiB/MiB/GiB suffix, and a
 * `boolean` flag given without a value means true.
 */
export type FieldKind = 'string' | 'integer' | 'port' | 'size' | 'enum' | 'list' | 'retention' | 'boolean';

export interface ConfigField {
  readonly name: string;
  readonly kind: FieldKind;
  /** Used when no source sets the field; undefined means "not set" (some fields derive it). */
  readonly defaultValue?: string | number;
  /** Inclusive bounds of integer-like kinds. */
  readonly minimum?: number;
  readonly maximum?: number;
  readonly choices?: readonly string[];
  readonly description: string;
}

const PORT_MINIMUM = 1;
const PORT_MAXIMUM = 65_535;
const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const AUTO_COMPACTION_MODES = ['off', 'revision', 'periodic'] as const;
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;

export const CONFIG_FIELDS: readonly ConfigField[] = [
  { name: 'node-id', kind: 'string', description: 'this member\'s name (its Raft id is derived from it); required' },
  { name: 'data-dir', kind: 'string', description: 'where the node keeps its data (default ./data/<node-id>)' },
  { name: 'http-host', kind: 'string', defaultValue: '127.0.0.1', description: 'address the REST API listens on (0.0.0.0 for all)' },
  { name: 'http-port', kind: 'port', defaultValue: 8000, description: 'port of the REST API' },
  { name: 'grpc-port', kind: 'port', defaultValue: 9090, description: 'port of the gRPC APIs (native beavervault.v1.KV and the etcd v3 services)' },
  { name: 'raft-host', kind: 'string', defaultValue: '127.0.0.1', description: 'address the peer (Raft) listener binds' },
  { name: 'raft-port', kind: 'port', defaultValue: 7000, description: 'port of the peer (Raft) listener' },
  {
    name: 'advertise-peer-address',
    kind: 'string',
    description: 'host:port peers use to reach this node, e.g. a pod\'s DNS name (default: its initial-cluster entry, else raft-host:raft-port)',
  },
  {
    name: 'advertise-client-urls',
    kind: 'list',
    description: 'comma-separated URLs clients use to reach this node\'s REST API (default http://<http-host>:<http-port>, https:// with cert-file)',
  },
  {
    name: 'advertise-grpc-urls',
    kind: 'list',
    description: 'comma-separated URLs clients use to reach this node\'s gRPC APIs, given to etcd clients as its client URLs (default http://<http-host>:<grpc-port>, https:// with cert-file)',
  },
  // TLS, with etcd's names and meanings: the client port (REST over HTTPS, and gRPC), then the peer port.
  { name: 'cert-file', kind: 'string', description: 'PEM certificate of the REST and gRPC ports; with key-file, they serve TLS only' },
  { name: 'key-file', kind: 'string', description: 'PEM private key of cert-file' },
  { name: 'trusted-ca-file', kind: 'string', description: 'PEM CA bundle that signed client certificates (and cert-file)' },
  {
    name: 'client-cert-auth',
    kind: 'boolean',
    defaultValue: 'false',
    description: 'refuse, at the handshake, clients without a certificate signed by trusted-ca-file',
  },
  { name: 'peer-cert-file', kind: 'string', description: 'PEM certificate of the peer (Raft) port, presented both when dialing and when dialed' },
  { name: 'peer-key-file', kind: 'string', description: 'PEM private key of peer-cert-file' },
  { name: 'peer-trusted-ca-file', kind: 'string', description: 'PEM CA bundle that signed every member\'s peer certificate' },
  {
    name: 'peer-client-cert-auth',
    kind: 'boolean',
    defaultValue: 'false',
    description: 'refuse, at the handshake, peers without a certificate signed by peer-trusted-ca-file (mutual TLS)',
  },
  {
    name: 'cipher-suites',
    kind: 'list',
    description: 'TLS 1.2 cipher suites allowed on every TLS port, by etcd\'s names, e.g. TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (default Node\'s list; TLS 1.3 suites stay on)',
  },
  { name: 'tls-min-version', kind: 'enum', defaultValue: 'TLS1.2', choices: TLS_MIN_VERSIONS, description: 'lowest TLS version accepted: TLS1.2 or TLS1.3 (1.0 and 1.1 are insecure and refused)' },
  { name: 'initial-cluster', kind: 'list', description: 'the members of a new cluster: n1=host:7000,n2=host:7001,...' },
  { name: 'join', kind: 'string', description: 'URL of a running member\'s REST API; this node joins as a learner and is promoted once caught up' },
  {
    name: 'wait-for-join',
    kind: 'boolean',
    defaultValue: 'false',
    description: 'own no cluster until a leader adds this node (POST /api/v1/raft/join naming it), then catch up from it',
  },
  { name: 'tick-ms', kind: 'integer', defaultValue: 100, minimum: 1, maximum: 60_000, description: 'length of one Raft tick in milliseconds' },
  { name: 'election-ticks', kind: 'integer', defaultValue: 10, minimum: 2, maximum: 10_000, description: 'ticks without a leader before an election' },
  { name: 'heartbeat-ticks', kind: 'integer', defaultValue: 1, minimum: 1, maximum: 10_000, description: 'ticks between leader heartbeats' },
  {
    name: 'snapshot-entries',
    kind: 'integer',
    defaultValue: 10_000,
    minimum: 1,
    maximum: 100_000_000,
    description: 'applied entries between snapshots (the log is compacted behind each one)',
  },
  {
    name: 'compaction-margin-entries',
    kind: 'integer',
    defaultValue: 5_000,
    minimum: 0,
    maximum: 100_000_000,
    description: 'entries kept behind each snapshot, so a briefly lagging follower catches up from the log',
  },
  {
    name: 'log-bytes-max',
    kind: 'size',
    defaultValue: 32 * MIB,
    minimum: 1,
    description: 'bytes of Raft log entries held in memory before a snapshot compacts them, however few entries that is',
  },
  {
    name: 'lease-checkpoint-interval-ms',
    kind: 'integer',
    defaultValue: 1_000,
    minimum: 100,
    maximum: 3_600_000,
    description: 'how often the leader records each lease\'s remaining TTL; a new leader resumes from it, so it bounds the TTL a leader change can add',
  },
  {
    name: 'encryption-key-file',
    kind: 'string',
    description: 'file of AES-256 keys, one "<id>: <base64 of 32 bytes>" per line, the first encrypting new records: turns on encryption at rest of values, the WAL, snapshots and backups (docs/security.md)',
  },
  { name: 'quota-bytes', kind: 'size', defaultValue: 2 * GIB, minimum: 1, description: 'backend size that raises the NOSPACE alarm (e.g. 2GiB)' },
  { name: 'key-bytes-max', kind: 'size', defaultValue: KIB, minimum: 1, description: 'largest key' },
  { name: 'value-bytes-max', kind: 'size', defaultValue: 16 * MIB, minimum: 1, description: 'largest value' },
  { name: 'txn-operations-max', kind: 'integer', defaultValue: 128, minimum: 1, maximum: 1_000_000, description: 'most operations in one transaction list' },
  { name: 'request-bytes-max', kind: 'size', defaultValue: 32 * MIB, minimum: 1, description: 'largest request body' },
  {
    name: 'pending-proposals-max',
    kind: 'integer',
    defaultValue: DEFAULT_QUEUE_LIMITS.pendingProposalsMax,
    minimum: 1,
    maximum: 10_000_000,
    description: 'writes a member holds proposed and not yet applied; one more is refused with 429 / RESOURCE_EXHAUSTED (etcd: too many requests)',
  },
  {
    name: 'pending-proposal-bytes-max',
    kind: 'size',
    defaultValue: DEFAULT_QUEUE_LIMITS.pendingProposalBytesMax,
    minimum: 1,
    description: 'encoded bytes of those writes; past it a write is refused the same way (a write is always taken when none is pending)',
  },
  {
    name: 'pending-reads-max',
    kind: 'integer',
    defaultValue: DEFAULT_QUEUE_LIMITS.pendingReadsMax,
    minimum: 1,
    maximum: 10_000_000,
    description: 'linearizable reads a member holds waiting for the leader\'s confirmation; one more is refused the same way',
  },
  {
    name: 'peer-inbox-messages-max',
    kind: 'integer',
    defaultValue: DEFAULT_QUEUE_LIMITS.peerInboxMessagesMax,
    minimum: 1,
    maximum: 10_000_000,
    description: 'peer messages carrying entries held for the Raft loop; past it they are dropped and counted (Raft sends them again)',
  },
  {
    name: 'peer-inbox-bytes-max',
    kind: 'size',
    defaultValue: DEFAULT_QUEUE_LIMITS.peerInboxBytesMax,
    minimum: 1,
    description: 'entry bytes of those messages; past it they are dropped the same way',
  },
  {
    name: 'forwarded-requests-max',
    kind: 'integer',
    defaultValue: DEFAULT_QUEUE_LIMITS.forwardedRequestsMax,
    minimum: 1,
    maximum: 1_000_000,
    description: 'requests a follower has in flight to the leader (lease keep-alives, membership changes), and a leader serves for followers; one more is refused',
  },
  {
    name: 'grpc-concurrent-streams-max',
    kind: 'integer',
    defaultValue: DEFAULT_GRPC_LIMITS.concurrentStreamsMax,
    minimum: 1,
    maximum: 2 ** 31 - 1,
    description: 'gRPC calls one client connection may have open at once; the client queues the rest (bounds what the server reads before it can refuse)',
  },
  {
    name: 'auto-compaction-mode',
    kind: 'enum',
    defaultValue: 'off',
    choices: AUTO_COMPACTION_MODES,
    description: 'off, revision (keep the last N revisions) or periodic (keep a time window)',
  },
  {
    name: 'auto-compaction-retention',
    kind: 'retention',
    description: 'revisions to keep (revision mode) or a duration such as 30m or 1h (periodic mode)',
  },
  {
    name: 'auth-token',
    kind: 'string',
    defaultValue: 'simple',
    description: 'tokens Authenticate hands out, as etcd: simple, or jwt,pub-key=PATH,priv-key=PATH,sign-method=RS256|ES256[,ttl=5m]',
  },
  {
    name: 'auth-token-ttl',
    kind: 'integer',
    defaultValue: 300,
    minimum: 1,
    maximum: 31_536_000,
    description: 'seconds a simple token stays valid after its last use (etcd\'s --auth-token-ttl)',
  },
  { name: 'audit-log-path', kind: 'string', description: 'file the audit log is appended to, one JSON line per write, membership change and admin call (default: no audit log)' },
  {
    name: 'audit-log-max-bytes',
    kind: 'size',
    defaultValue: 100 * MIB,
    minimum: 4 * KIB,
    description: 'size past which the audit log is rotated (audit.log → audit.log.1 → ...)',
  },
  { name: 'audit-log-max-files', kind: 'integer', defaultValue: 10, minimum: 1, maximum: 1_000, description: 'rotated audit log files kept beside the current one; the oldest is removed' },
  { name: 'audit-reads', kind: 'boolean', defaultValue: 'false', description: 'record reads in the audit log too (ranges, watches, lease and member lists, status)' },
  { name: 'log-level', kind: 'enum', defaultValue: 'info', choices: LOG_LEVELS, description: 'fatal, error, warn, info, debug, trace or silent' },
  {
    name: 'log-format',
    kind: 'enum',
    defaultValue: 'auto',
    choices: LOG_FORMATS,
    description: 'json (one object a line), pretty (for people), or auto: pretty when stdout is a terminal, else json',
  },
];

export const FIELDS_BY_NAME: ReadonlyMap<string, ConfigField> = new Map(CONFIG_FIELDS.map((field) => [field.name, field]));

export const PORT_BOUNDS = { minimum: PORT_MINIMUM, maximum: PORT_MAXIMUM } as const;

/** `http-port` → `BVAULT_HTTP_PORT`. */
export function environmentNameOf(fieldName: string): string {
  return `BVAULT_${fieldName.toUpperCase().replaceAll('-', '_')}`;
}
