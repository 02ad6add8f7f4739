// The server's configuration: defaults, then the YAML file, then BVAULT_* variables, then
// flags, each overriding the one before. Every value of every source is checked and then the
// relations between fields, and all problems are reported together, so a user fixes a
// configuration in one round. The result is frozen: nothing changes it after start.

import { resolve as resolvePath } from 'node:path';
import type { TokenSettings } from '../auth/token-settings.js';
import type { QueueLimits } from '../node/queue-limits.js';
import { parseTokenSettings } from './auth-token-setting.js';
import { CONFIG_FIELDS, FIELDS_BY_NAME, type AUTO_COMPACTION_MODES, type ConfigField, type LOG_FORMATS, type LOG_LEVELS } from './config-fields.js';
import { readConfigFile, readEnvironment, readFlags, type SourceReading } from './config-sources.js';
import { parseDurationMs, readFieldValue, type FieldValue } from './config-values.js';
import { auditSettingsOf, type AuditSettings } from './audit-config.js';
import { memberNameProblem, parseInitialCluster, peerAddressProblem, portOf } from './peer-addresses.js';
import { tlsSettingsOf, type TlsSettings } from './tls-config.js';

export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = (typeof LOG_FORMATS)[number];

export type StartMode =
  /**
   * A member of a brand-new cluster: every member bootstraps the same initial voters. `implicit`
   * when no start flag was given and the cluster is this node alone; a data directory that
   * already belongs to a cluster then restarts into that one.
   */
  | { readonly kind: 'new'; readonly initialMembers: ReadonlyMap<string, string>; readonly implicit?: true }
  /** A new member of a running cluster, added through `joinUrl` as a learner. */
  | { readonly kind: 'join'; readonly joinUrl: string }
  /** A member that owns no cluster until a leader adds it (the seed's POST /api/v1/raft/join). */
  | { readonly kind: 'wait' };

export type AutoCompaction =
  | { readonly mode: 'off' }
  | { readonly mode: 'revision'; readonly retainRevisions: number }
  | { readonly mode: 'periodic'; readonly retentionMs: number };

export interface RequestLimits {
  readonly keyBytesMax: number;
  readonly valueBytesMax: number;
  readonly txnOperationsMax: number;
  readonly requestBytesMax: number;
}

export interface ServerConfig extends AuditSettings, TlsSettings {
  readonly name: string;
  /** Absolute. */
  readonly dataDir: string;
  readonly httpHost: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly raftHost: string;
  readonly raftPort: number;
  /** Invariant: equals this member's initial-cluster entry when the cluster is new. */
  readonly advertisePeerAddress: string;
  /** Where the REST API answers. */
  readonly advertiseClientUrls: readonly string[];
  /** Where the gRPC APIs answer: etcd's client URLs. */
  readonly advertiseGrpcUrls: readonly string[];
  readonly start: StartMode;
  readonly tickMs: number;
  /** Invariant: electionTicks > heartbeatTicks. */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly snapshotEntries: number;
  readonly compactionMarginEntries: number;
  readonly logBytesMax: number;
  readonly leaseCheckpointIntervalMs: number;
  readonly quotaBytes: number;
  /** Absolute; undefined when encryption at rest is off. */
  readonly encryptionKeyFile: string | undefined;
  readonly limits: RequestLimits;
  readonly queueLimits: QueueLimits;
  /** HTTP/2 streams one client connection may have open on the gRPC port. */
  readonly grpcConcurrentStreamsMax: number;
  readonly autoCompaction: AutoCompaction;
  /** auth-token and auth-token-ttl: the tokens Authenticate hands out. */
  readonly authTokens: TokenSettings;
  readonly logLevel: LogLevel;
  /** `auto` is decided at start: pretty when stdout is a terminal. */
  readonly logFormat: LogFormat;
  /** Worth logging at start, not worth refusing it. */
  readonly warnings: readonly string[];
}

export interface ConfigInput {
  /** The arguments after `bvault server`. */
  readonly args: readonly string[];
  readonly environment: NodeJS.ProcessEnv;
  /** Relative paths (data-dir) resolve against it. */
  readonly workingDirectory: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/** What `--help` asks for instead of a configuration. */
export const HELP_REQUESTED = Symbol('help requested');

/** Throws a ConfigError listing every problem, or returns the frozen configuration. */
export async function loadServerConfig(input: ConfigInput): Promise<ServerConfig | typeof HELP_REQUESTED> {
  const flags = readFlags(input.args);
  if (flags.help) return HELP_REQUESTED;
  const file = flags.configPath === undefined ? undefined : await readConfigFile(resolvePath(input.workingDirectory, flags.configPath));
  const sources = [file, readEnvironment(input.environment), flags].filter((source): source is SourceReading => source !== undefined);
  const problems = sources.flatMap((source) => source.problems);
  const values = new Map<string, FieldValue>();
  for (const field of CONFIG_FIELDS) if (field.defaultValue !== undefined) values.set(field.name, field.defaultValue);
  for (const source of sources) {
    for (const [name, setting] of source.settings) {
      // Every source keeps only names of the field table, so the lookup cannot miss.
      const result = readFieldValue(FIELDS_BY_NAME.get(name) as ConfigField, setting.raw, setting.origin);
      if ('problem' in result) problems.push(result.problem);
      else values.set(name, result.value);
    }
  }
  const config = buildConfig(new FieldValues(values), input.workingDirectory, problems, sources.flatMap((source) => source.warnings));
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

/** Typed access to the merged values; a field that failed to read falls back to its default. */
class FieldValues {
  constructor(private readonly values: ReadonlyMap<string, FieldValue>) {}

  string(name: string): string | undefined {
    const value = this.values.get(name);
    return typeof value === 'string' ? value : undefined;
  }

  number(name: string): number {
    const value = this.values.get(name) ?? FIELDS_BY_NAME.get(name)?.defaultValue;
    return typeof value === 'number' ? value : 0;
  }

  list(name: string): readonly string[] | undefined {
    const value = this.values.get(name);
    return Array.isArray(value) ? value : undefined;
  }
}

function buildConfig(values: FieldValues, workingDirectory: string, problems: string[], warnings: readonly string[]): ServerConfig {
  const name = values.string('node-id') ?? '';
  if (name === '') problems.push('node-id is required (--node-id, BVAULT_NODE_ID or node-id: in the config file)');
  else pushIfDefined(problems, memberNameProblem(name, 'node-id'));
  const httpHost = values.string('http-host') ?? '127.0.0.1';
  const httpPort = values.number('http-port');
  const raftHost = values.string('raft-host') ?? '127.0.0.1';
  const raftPort = values.number('raft-port');
  const grpcPort = values.number('grpc-port');
  checkPortsDistinct(problems, httpHost, raftHost, { 'http-port': httpPort, 'grpc-port': grpcPort, 'raft-port': raftPort });
  const start = startModeOf(values, name, `${raftHost}:${raftPort}`, problems);
  const advertisePeerAddress = advertisedPeerAddressOf(values, name, start, `${raftHost}:${raftPort}`, problems);
  // A wildcard listener has no address a client could dial: advertise the peer address's host.
  const clientHost = WILDCARD_HOSTS.has(httpHost) ? hostOf(advertisePeerAddress) : httpHost;
  const tls = tlsSettingsOf(values, workingDirectory, problems);
  // With TLS on the client port, what is advertised says so: etcd clients read the scheme.
  const clientScheme = tls.clientTls === undefined ? 'http' : 'https';
  const advertiseClientUrls = values.list('advertise-client-urls') ?? [`${clientScheme}://${clientHost}:${httpPort}`];
  for (const url of advertiseClientUrls) if (!isHttpUrl(url)) problems.push(`advertise-client-urls: ${JSON.stringify(url)} is not an http(s) URL`);
  const advertiseGrpcUrls = values.list('advertise-grpc-urls') ?? [`${clientScheme}://${clientHost}:${grpcPort}`];
  for (const url of advertiseGrpcUrls) if (!isHttpUrl(url)) problems.push(`advertise-grpc-urls: ${JSON.stringify(url)} is not an http(s) URL`);
  const electionTicks = values.number('election-ticks');
  const heartbeatTicks = values.number('heartbeat-ticks');
  if (electionTicks <= heartbeatTicks) {
    problems.push(`election-ticks (${electionTicks}) must be greater than heartbeat-ticks (${heartbeatTicks}), or followers start elections between heartbeats`);
  }
  return {
    name,
    dataDir: resolvePath(workingDirectory, values.string('data-dir') ?? `data/${name}`),
    httpHost,
    httpPort,
    grpcPort,
    raftHost,
    raftPort,
    advertisePeerAddress,
    advertiseClientUrls,
    advertiseGrpcUrls,
    start,
    tickMs: values.number('tick-ms'),
    electionTicks,
    heartbeatTicks,
    snapshotEntries: values.number('snapshot-entries'),
    compactionMarginEntries: values.number('compaction-margin-entries'),
    logBytesMax: values.number('log-bytes-max'),
    leaseCheckpointIntervalMs: values.number('lease-checkpoint-interval-ms'),
    quotaBytes: values.number('quota-bytes'),
    encryptionKeyFile: optionalPath(workingDirectory, values.string('encryption-key-file')),
    limits: limitsOf(values, problems),
    queueLimits: {
      pendingProposalsMax: values.number('pending-proposals-max'),
      pendingProposalBytesMax: values.number('pending-proposal-bytes-max'),
      pendingReadsMax: values.number('pending-reads-max'),
      peerInboxMessagesMax: values.number('peer-inbox-messages-max'),
      peerInboxBytesMax: values.number('peer-inbox-bytes-max'),
      forwardedRequestsMax: values.number('forwarded-requests-max'),
    },
    grpcConcurrentStreamsMax: values.number('grpc-concurrent-streams-max'),
    autoCompaction: autoCompactionOf(values, problems),
    authTokens: authTokensOf(values, problems),
    logLevel: (values.string('log-level') ?? 'info') as LogLevel,
    logFormat: (values.string('log-format') ?? 'auto') as LogFormat,
    ...auditSettingsOf(values, workingDirectory, problems),
    ...tls,
    warnings,
  };
}

function optionalPath(workingDirectory: string, path: string | undefined): string | undefined {
  return path === undefined ? undefined : resolvePath(workingDirectory, path);
}

/**
 * With none of initial-cluster, join and wait-for-join the node starts a one-member cluster of
 * itself, as etcd does without flags; a data directory that already belongs to a cluster
 * restarts into it instead (the server checks that before it opens the node).
 */
function startModeOf(values: FieldValues, name: string, raftListener: string, problems: string[]): StartMode {
  const initialCluster = values.list('initial-cluster');
  const joinUrl = values.string('join');
  const waitForJoin = values.string('wait-for-join') === 'true';
  const chosen = [initialCluster !== undefined && 'initial-cluster', joinUrl !== undefined && 'join', waitForJoin && 'wait-for-join'].filter((flag) => flag !== false);
  if (chosen.length > 1) {
    problems.push(`${chosen.join(', ')} are set together; give initial-cluster to start a new cluster, join to enter a running one, or wait-for-join to be added by a leader, only one`);
  }
  if (joinUrl !== undefined) {
    if (!isHttpUrl(joinUrl)) problems.push(`join: ${JSON.stringify(joinUrl)} is not an http(s) URL of a running member, e.g. http://127.0.0.1:8000`);
    return { kind: 'join', joinUrl };
  }
  if (waitForJoin) return { kind: 'wait' };
  if (initialCluster === undefined || initialCluster.length === 0) return { kind: 'new', initialMembers: new Map([[name, raftListener]]), implicit: true };
  const parsed = parseInitialCluster(initialCluster);
  problems.push(...parsed.problems);
  if (name !== '' && parsed.problems.length === 0 && !parsed.members.has(name)) {
    problems.push(`node-id ${name} is not a member of initial-cluster (${[...parsed.members.keys()].join(', ')})`);
  }
  return { kind: 'new', initialMembers: parsed.members };
}

function advertisedPeerAddressOf(values: FieldValues, name: string, start: StartMode, listener: string, problems: string[]): string {
  const advertised = values.string('advertise-peer-address');
  const entry = start.kind === 'new' ? start.initialMembers.get(name) : undefined;
  // A one-member cluster started without initial-cluster has only its listener as an entry: the advertised address replaces it.
  const entryIsListener = start.kind === 'new' && start.implicit === true;
  if (advertised !== undefined) {
    pushIfDefined(problems, peerAddressProblem(advertised, 'advertise-peer-address'));
    if (entry !== undefined && !entryIsListener && entry !== advertised) {
      problems.push(`advertise-peer-address ${advertised} differs from this member's initial-cluster entry ${name}=${entry}; peers would dial the wrong address`);
    }
    return advertised;
  }
  if (entry === undefined) {
    if (WILDCARD_HOSTS.has(hostOf(listener))) {
      problems.push(`raft-host ${hostOf(listener)} listens on every address, so peers cannot be told where to dial; set advertise-peer-address (e.g. the pod's DNS name and port)`);
    }
    return listener;
  }
  const raftPort = values.number('raft-port');
  if (portOf(entry) !== raftPort) {
    problems.push(`initial-cluster gives ${name} the address ${entry} but raft-port is ${raftPort}; make them agree (or set advertise-peer-address when a proxy maps the port)`);
  }
  return entry;
}

function authTokensOf(values: FieldValues, problems: string[]): TokenSettings {
  const ttlSeconds = values.number('auth-token-ttl');
  const parsed = parseTokenSettings(values.string('auth-token') ?? 'simple', ttlSeconds);
  problems.push(...parsed.problems);
  return parsed.settings ?? { kind: 'simple', ttlMs: ttlSeconds * 1000 };
}

function limitsOf(values: FieldValues, problems: string[]): RequestLimits {
  const limits = {
    keyBytesMax: values.number('key-bytes-max'),
    valueBytesMax: values.number('value-bytes-max'),
    txnOperationsMax: values.number('txn-operations-max'),
    requestBytesMax: values.number('request-bytes-max'),
  };
  if (limits.keyBytesMax > limits.requestBytesMax) problems.push(`key-bytes-max (${limits.keyBytesMax}) must not exceed request-bytes-max (${limits.requestBytesMax})`);
  if (limits.valueBytesMax > limits.requestBytesMax) problems.push(`value-bytes-max (${limits.valueBytesMax}) must not exceed request-bytes-max (${limits.requestBytesMax})`);
  return limits;
}

function autoCompactionOf(values: FieldValues, problems: string[]): AutoCompaction {
  const mode = (values.string('auto-compaction-mode') ?? 'off') as (typeof AUTO_COMPACTION_MODES)[number];
  const retention = values.string('auto-compaction-retention');
  if (mode === 'off') {
    if (retention !== undefined) problems.push('auto-compaction-retention is set but auto-compaction-mode is off; set the mode to revision or periodic');
    return { mode };
  }
  if (mode === 'revision') {
    const retainRevisions = retention !== undefined && /^\d+$/.test(retention) ? Number(retention) : 0;
    if (!Number.isSafeInteger(retainRevisions) || retainRevisions <= 0) {
      problems.push(`auto-compaction-retention must be a positive number of revisions in revision mode, got ${JSON.stringify(retention ?? null)}`);
    }
    return { mode, retainRevisions };
  }
  const retentionMs = retention === undefined ? undefined : parseDurationMs(retention);
  if (retentionMs === undefined) problems.push(`auto-compaction-retention must be a duration such as 30m or 1h in periodic mode, got ${JSON.stringify(retention ?? null)}`);
  return { mode, retentionMs: retentionMs ?? 0 };
}

/** Two listeners on one host cannot share a port. */
function checkPortsDistinct(problems: string[], httpHost: string, raftHost: string, ports: Readonly<Record<string, number>>): void {
  const entries = Object.entries(ports);
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      const [firstName, firstPort] = entries[i] as [string, number];
      const [secondName, secondPort] = entries[j] as [string, number];
      const involvesRaftOnOtherHost = (firstName === 'raft-port' || secondName === 'raft-port') && raftHost !== httpHost;
      if (firstPort === secondPort && !involvesRaftOnOtherHost) problems.push(`${firstName} and ${secondName} are both ${firstPort}; each listener needs its own port`);
    }
  }
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/** The host part of `host:port` (an IPv6 host keeps its brackets). */
function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':'));
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function pushIfDefined(problems: string[], problem: string | undefined): void {
  if (problem !== undefined) problems.push(problem);
}

function deepFreeze<T>(value: T): T {
  if (value instanceof Map) {
    for (const item of value.values()) deepFreeze(item);
    // A frozen Map still accepts set(); replace the mutators so the configuration stays fixed.
    const refuse = (): never => {
      throw new TypeError('the server configuration is frozen');
    };
    Object.assign(value, { set: refuse, delete: refuse, clear: refuse });
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return Object.freeze(value);
}
