// GrpcTransport's options, their defaults and their validation. Options are checked once at
// construction, every problem listed in one error, and then frozen.

import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import type { Logger } from '../observability/logger.js';
import type { NodeId } from '../raft/types.js';
import { transportError } from './errors.js';

const KIB = 1024;
const MIB = 1024 * KIB;

export interface GrpcTransportOptions {
  /** This member's id, sent with every stream and call. */
  readonly memberId: NodeId;
  /** Peers of another cluster id are refused, and refuse this member. */
  readonly clusterId: string;
  /** host:port to listen on; port 0 picks a free port (see GrpcTransport.port). */
  readonly listenAddress: string;
  readonly logger?: Logger;
  /** Messages waiting for one peer's stream before further messages to it are dropped. */
  readonly queuedMessagesMax?: number;
  /** Encoded bytes waiting for one peer's stream before further messages to it are dropped. */
  readonly queuedBytesMax?: number;
  /** A frame gathers queued messages up to this size (a larger message travels alone). */
  readonly frameBytesMax?: number;
  /** The largest gRPC message either side accepts; a larger Raft message is dropped. */
  readonly messageBytesMax?: number;
  /** Snapshot data is sent in chunks of at most this size. */
  readonly snapshotChunkBytesMax?: number;
  readonly reconnectDelayInitialMs?: number;
  readonly reconnectDelayMaxMs?: number;
  /** HTTP/2 pings on idle connections, so a vanished peer is noticed. */
  readonly keepaliveIntervalMs?: number;
  readonly keepaliveTimeoutMs?: number;
  /** TLS of the peer port as served (see src/tls); plaintext by default. */
  readonly serverCredentials?: ServerCredentials;
  /** TLS towards peers, matching serverCredentials; plaintext by default. */
  readonly channelCredentials?: ChannelCredentials;
}

export type ResolvedGrpcTransportOptions = Required<GrpcTransportOptions>;

export const GRPC_TRANSPORT_DEFAULTS = {
  queuedMessagesMax: 4096,
  queuedBytesMax: 64 * MIB,
  frameBytesMax: 1 * MIB,
  messageBytesMax: 64 * MIB,
  snapshotChunkBytesMax: 1 * MIB,
  reconnectDelayInitialMs: 100,
  reconnectDelayMaxMs: 5_000,
  keepaliveIntervalMs: 10_000,
  keepaliveTimeoutMs: 5_000,
} as const;

/** Fills in defaults and throws TRANSPORT_INVALID_OPTIONS listing every problem. */
export function resolveGrpcTransportOptions(options: GrpcTransportOptions, defaultLogger: () => Logger): ResolvedGrpcTransportOptions {
  const resolved: ResolvedGrpcTransportOptions = {
    ...GRPC_TRANSPORT_DEFAULTS,
    ...withoutUndefined(options),
    memberId: options.memberId,
    clusterId: options.clusterId,
    listenAddress: options.listenAddress,
    logger: options.logger ?? defaultLogger(),
    serverCredentials: options.serverCredentials ?? ServerCredentials.createInsecure(),
    channelCredentials: options.channelCredentials ?? credentials.createInsecure(),
  };
  const problems = problemsOf(resolved);
  if (problems.length > 0) throw transportError('TRANSPORT_INVALID_OPTIONS', { reason: problems.join('; ') });
  return Object.freeze(resolved);
}

function problemsOf(options: ResolvedGrpcTransportOptions): string[] {
  const problems: string[] = [];
  const requirePositive = (name: keyof ResolvedGrpcTransportOptions, minimum = 1): void => {
    const value = options[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
      problems.push(`${name} must be an integer of at least ${minimum}, got ${String(value)}`);
    }
  };
  requirePositive('memberId');
  if (options.clusterId.length === 0) problems.push('clusterId must not be empty');
  if (!/^.+:\d+$/.test(options.listenAddress)) problems.push(`listenAddress must be host:port, got '${options.listenAddress}'`);
  requirePositive('queuedMessagesMax');
  requirePositive('queuedBytesMax', KIB);
  requirePositive('frameBytesMax', KIB);
  requirePositive('messageBytesMax', KIB);
  requirePositive('snapshotChunkBytesMax', KIB);
  requirePositive('reconnectDelayInitialMs');
  requirePositive('reconnectDelayMaxMs');
  requirePositive('keepaliveIntervalMs');
  requirePositive('keepaliveTimeoutMs');
  if (options.frameBytesMax > options.messageBytesMax) problems.push('frameBytesMax must not exceed messageBytesMax');
  if (options.snapshotChunkBytesMax > options.messageBytesMax) problems.push('snapshotChunkBytesMax must not exceed messageBytesMax');
  if (options.reconnectDelayMaxMs < options.reconnectDelayInitialMs) {
    problems.push('reconnectDelayMaxMs must be at least reconnectDelayInitialMs');
  }
  return problems;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}
