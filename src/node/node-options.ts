// What a node is started with. The config layer builds NodeOptions from flags, YAML and the
// environment; resolveNodeOptions fills the defaults, checks every field and lists every
// problem at once, and returns the frozen settings the node runs with.

import type { Registry } from 'prom-client';
import type { CompactionPolicy, MvccLimits } from '../mvcc/index.js';
import { DEFAULT_QUOTA_BYTES } from '../mvcc/index.js';
import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import type { PeerTransport } from '../transport/transport.js';
import { NodeError } from './errors.js';
import { type NodeIo, systemIo } from './node-io.js';
import { DEFAULT_QUEUE_LIMITS, type QueueLimits, queueLimitProblems } from './queue-limits.js';

export interface MemberAddress {
  readonly name: string;
  /** host:port of the member's peer (Raft) listener. */
  readonly peerAddress: string;
  readonly clientUrls?: readonly string[];
  readonly grpcUrls?: readonly string[];
}

/**
 * A new cluster lists its initial members (this node among them); every initial member must
 * be started with the same list. A joining node was added by a running member and got the
 * cluster id and the member list (itself included) from it.
 */
export type ClusterMembership =
  | { readonly mode: 'new'; readonly initialMembers: readonly MemberAddress[] }
  | { readonly mode: 'join'; readonly clusterId: string; readonly members: readonly MemberAddress[] };

export interface NodeOptions {
  readonly name: string;
  readonly dataDir: string;
  readonly cluster: ClusterMembership;
  /** URLs where clients reach this node's REST API, announced to the cluster when it joins. */
  readonly clientUrls?: readonly string[];
  /** URLs where clients reach this node's gRPC APIs, announced with the client URLs. */
  readonly grpcUrls?: readonly string[];
  readonly transport: PeerTransport;
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** A Raft snapshot is created (and the log compacted) every this many applied entries. */
  readonly snapshotEntries?: number;
  /** Entries kept behind a snapshot, so slow followers catch up from the log, not a snapshot. */
  readonly compactionMarginEntries?: number;
  /**
   * Bytes of log entry data held in memory before a snapshot compacts them, whatever the entry
   * count; the margin behind a snapshot keeps at most a quarter of it. Bounds memory when
   * entries are large (batch writes).
   */
  readonly logBytesMax?: number;
  readonly quotaBytes?: number;
  /**
   * The key file of encryption at rest (src/encryption/key-file.ts); off when omitted. Read at
   * open, and again by rotateEncryptionKey.
   */
  readonly encryptionKeyFile?: string;
  readonly limits?: Partial<MvccLimits>;
  /** Bounds of the pending-proposal, pending-read, peer-inbox and forwarded-request queues (queue-limits.ts). */
  readonly queueLimits?: Partial<QueueLimits>;
  /** Proposed by the leader when it returns a revision; none when omitted. */
  readonly autoCompaction?: CompactionPolicy;
  /** Default wait for a write or a linearizable read before NODE_TIMEOUT. */
  readonly requestTimeoutMs?: number;
  /**
   * How often the leader checkpoints each lease's remaining TTL. A new leader resumes each lease
   * from its last checkpoint, so this bounds what a leader change adds to a TTL (etcd: 5 minutes).
   */
  readonly leaseCheckpointIntervalMs?: number;
  readonly logger?: Logger;
  /** A registry per node: several nodes may run in one process. */
  readonly metricsRegistry?: Registry;
  /** Seeds election timeouts; random when omitted. */
  readonly randomSeed?: number;
  /** Called once if storage or the state machine fails and the node stops (the server exits). */
  readonly onFatalError?: (error: unknown) => void;
  /** Clock, timers, files, database and randomness; the real ones unless a simulator passes its own. */
  readonly io?: NodeIo;
}

export interface ResolvedNodeOptions {
  readonly name: string;
  readonly dataDir: string;
  readonly cluster: ClusterMembership;
  readonly clientUrls: readonly string[];
  readonly grpcUrls: readonly string[];
  readonly transport: PeerTransport;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly snapshotEntries: number;
  readonly compactionMarginEntries: number;
  readonly logBytesMax: number;
  readonly quotaBytes: number;
  readonly encryptionKeyFile: string | undefined;
  readonly limits: Partial<MvccLimits>;
  readonly queueLimits: QueueLimits;
  readonly autoCompaction: CompactionPolicy | undefined;
  readonly requestTimeoutMs: number;
  readonly leaseCheckpointIntervalMs: number;
  readonly logger: Logger;
  readonly metricsRegistry: Registry | undefined;
  readonly randomSeed: number;
  readonly onFatalError: ((error: unknown) => void) | undefined;
  readonly io: NodeIo;
}

const DEFAULTS = {
  tickMs: 100,
  electionTicks: 10,
  heartbeatTicks: 1,
  snapshotEntries: 10_000,
  compactionMarginEntries: 5_000,
  logBytesMax: 32 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  leaseCheckpointIntervalMs: 1_000,
} as const;

export function resolveNodeOptions(options: NodeOptions): ResolvedNodeOptions {
  const resolved: ResolvedNodeOptions = {
    ...DEFAULTS,
    ...definedFields(options),
    clientUrls: options.clientUrls ?? [],
    grpcUrls: options.grpcUrls ?? [],
    quotaBytes: options.quotaBytes ?? DEFAULT_QUOTA_BYTES,
    encryptionKeyFile: options.encryptionKeyFile,
    limits: options.limits ?? {},
    queueLimits: { ...DEFAULT_QUEUE_LIMITS, ...definedFields(options.queueLimits ?? {}) },
    autoCompaction: options.autoCompaction,
    logger: options.logger ?? silentLogger(),
    metricsRegistry: options.metricsRegistry,
    randomSeed: options.randomSeed ?? Math.floor(Math.random() * 0x7fff_ffff),
    onFatalError: options.onFatalError,
    io: options.io ?? systemIo,
  };
  const problems = optionProblems(resolved);
  if (problems.length > 0) throw new NodeError('NODE_INVALID_OPTIONS', { reason: problems.join('; ') });
  return Object.freeze(resolved);
}

/** The members a node's options name: a new cluster's initial members, or those a joining node was given. */
export function knownMembers(options: ResolvedNodeOptions): readonly MemberAddress[] {
  return options.cluster.mode === 'new' ? options.cluster.initialMembers : options.cluster.members;
}

function definedFields<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T;
}

function optionProblems(options: ResolvedNodeOptions): string[] {
  const problems: string[] = [];
  const positive = (name: keyof ResolvedNodeOptions & string, value: number): void => {
    if (!Number.isSafeInteger(value) || value <= 0) problems.push(`${name} must be a positive integer, got ${value}`);
  };
  if (options.name.length === 0) problems.push('name must not be empty');
  if (options.dataDir.length === 0) problems.push('dataDir must not be empty');
  for (const name of ['tickMs', 'electionTicks', 'heartbeatTicks', 'snapshotEntries', 'logBytesMax', 'quotaBytes', 'requestTimeoutMs', 'leaseCheckpointIntervalMs'] as const) {
    positive(name, options[name]);
  }
  if (!Number.isSafeInteger(options.compactionMarginEntries) || options.compactionMarginEntries < 0) {
    problems.push(`compactionMarginEntries must be a non-negative integer, got ${options.compactionMarginEntries}`);
  }
  if (options.heartbeatTicks >= options.electionTicks) {
    problems.push(`electionTicks (${options.electionTicks}) must be greater than heartbeatTicks (${options.heartbeatTicks})`);
  }
  problems.push(...queueLimitProblems(options.queueLimits));
  problems.push(...membershipProblems(options));
  return problems;
}

function membershipProblems(options: ResolvedNodeOptions): string[] {
  const cluster = options.cluster;
  const members = knownMembers(options);
  const problems: string[] = [];
  const names = new Set(members.map((member) => member.name));
  if (names.size !== members.length) problems.push('member names must be unique');
  if (!names.has(options.name)) problems.push(`the member list must include this node (${options.name})`);
  for (const member of members) {
    if (member.peerAddress.length === 0) problems.push(`member ${member.name} needs a peer address`);
  }
  if (cluster.mode === 'join' && cluster.clusterId.length === 0) problems.push('a joining node needs the cluster id');
  return problems;
}
