// The options of `bvault bench`, parsed and checked once, then frozen. The names and defaults
// follow etcd's benchmark tool where it has the same knob, so a run here reads like one there.
import { parseArgs } from 'node:util';
import { readClientTlsFiles, type ClientTlsPaths } from '../client/client-tls-files.js';
import type { ClientTls } from '../client/client-options.js';
import type { ClientUser } from '../client/token-source.js';
import { shownUserFlag, userOfFlag } from '../client/user-flag.js';

export const WORKLOADS = ['put', 'range', 'txn-put', 'watch-latency', 'mixed'] as const;
export type Workload = (typeof WORKLOADS)[number];

export type BenchTarget = 'beaver' | 'etcd';

export interface BenchOptions {
  readonly workload: Workload;
  readonly target: BenchTarget;
  readonly endpoints: readonly string[];
  /** gRPC channels (each its own TCP connection), shared round-robin by the clients. */
  readonly conns: number;
  readonly clients: number;
  /** Stop after this many operations (puts for watch-latency)... */
  readonly total: number | undefined;
  /** ...or after this long; exactly one of the two is set. */
  readonly durationMs: number | undefined;
  readonly keySizeBytes: number;
  readonly valueSizeBytes: number;
  /** Keys are drawn at random from this many distinct ones... */
  readonly keySpace: number;
  /** ...or taken in order, 0, 1, 2, ..., wrapping at keySpace. */
  readonly sequentialKeys: boolean;
  /** Puts in each txn-put transaction. */
  readonly txnOperations: number;
  /** Consecutive keys each range reads: 1 is a point read, more a small range. */
  readonly rangeKeys: number;
  readonly serializable: boolean;
  readonly json: boolean;
  /** Deadline of each request. */
  readonly requestTimeoutMs: number;
  /** PEM bytes: with any of them the channels use TLS, as etcd's benchmark does with --cacert. */
  readonly tls?: ClientTls;
  /** Authenticate as this user and send its token with every request, as etcd's benchmark does with --user. */
  readonly user?: ClientUser;
}

/** A command-line mistake: the message says what to change; nothing was sent. */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

const DEFAULT_ENDPOINTS: Readonly<Record<BenchTarget, string>> = { beaver: '127.0.0.1:9090', etcd: '127.0.0.1:2379' };
const DEFAULT_TOTAL = 10_000;
const DEFAULT_KEY_SPACE = 100_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Mixed workload: this share of the operations are ranges, the rest puts. */
export const MIXED_RANGE_PERCENT = 90;

export const BENCH_USAGE = `Usage: bvault bench <workload> [options]

Load generator speaking the etcd v3 gRPC API, so it measures Beaver-Vault and etcd alike.

Workloads:
  put             Put of a random key within --key-space, value of --val-size
  range           Range of one random key within --key-space (--consistency l or s)
  txn-put         Txn with one put in success and no compares
  watch-latency   --clients watch streams on one key and one putter; latency is from the
                  put's send to each watcher's event, and --total counts puts
  mixed           ${MIXED_RANGE_PERCENT}% range, ${100 - MIXED_RANGE_PERCENT}% put, keys as above

Options:
  --endpoints host:port,...  gRPC endpoints; channels go to them in turn
                             (default ${DEFAULT_ENDPOINTS.beaver} for beaver, ${DEFAULT_ENDPOINTS.etcd} for etcd)
  --conns N                  gRPC channels, shared round-robin by the clients (default 1)
  --clients N                concurrent clients, one request in flight each (default 1)
  --total N                  operations to run (default ${DEFAULT_TOTAL})
  --duration D               run for a time instead, e.g. 30s, 2m, 500ms
  --key-size N               key bytes (default 8); keys are zero-padded decimal numbers
  --val-size N               value bytes (default 8)
  --key-space N              distinct keys to draw from (default ${DEFAULT_KEY_SPACE})
  --sequential-keys          take keys in order (0, 1, 2, ...) instead of at random, e.g. to load data
  --txn-ops N                puts in each txn-put transaction, on consecutive keys (default 1)
  --range-keys N             keys each range reads, consecutive from the random one; 1 is a
                             point read (default 1; range and mixed only)
  --consistency l|s          linearizable or serializable ranges (default l)
  --target beaver|etcd       what the endpoints run; names the report and the default endpoints
  --timeout-ms N             deadline of each request (default ${DEFAULT_REQUEST_TIMEOUT_MS})
  --cacert, --cert, --key F  TLS: the CA bundle that signed the servers, a client certificate and
                             its key (for client-cert-auth); with any of them every channel uses TLS
  --user name:password       authenticate as this user and send its token with every request
  --json                     print one JSON object instead of the text report

A progress bar runs on stderr. Exit codes: 0 every request succeeded; 1 some failed (the
report counts them by gRPC code); 2 usage error; 3 an endpoint could not be reached.`;

const OPTION_SPECIFICATIONS = {
  endpoints: { type: 'string' },
  conns: { type: 'string' },
  clients: { type: 'string' },
  total: { type: 'string' },
  duration: { type: 'string' },
  'key-size': { type: 'string' },
  'val-size': { type: 'string' },
  'key-space': { type: 'string' },
  'sequential-keys': { type: 'boolean' },
  'txn-ops': { type: 'string' },
  'range-keys': { type: 'string' },
  consistency: { type: 'string' },
  target: { type: 'string' },
  'timeout-ms': { type: 'string' },
  json: { type: 'boolean' },
  cacert: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  user: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The parsed options, or undefined when --help was asked for; throws BenchUsageError. */
export function parseBenchOptions(args: readonly string[]): BenchOptions | undefined {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTION_SPECIFICATIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...args], options: OPTION_SPECIFICATIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return undefined;
  const [workload, ...extra] = positionals;
  if (workload === undefined) throw new BenchUsageError(`a workload is required: one of ${WORKLOADS.join(', ')}`);
  if (!(WORKLOADS as readonly string[]).includes(workload)) throw new BenchUsageError(`unknown workload ${JSON.stringify(workload)}: use one of ${WORKLOADS.join(', ')}`);
  if (extra.length > 0) throw new BenchUsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const target = oneOf(values.target ?? 'beaver', ['beaver', 'etcd'], '--target');
  const consistency = oneOf(values.consistency ?? 'l', ['l', 's'], '--consistency');
  if (values.total !== undefined && values.duration !== undefined) throw new BenchUsageError('give --total or --duration, not both');
  const keySizeBytes = positiveInteger(values['key-size'], 8, '--key-size');
  const keySpace = positiveInteger(values['key-space'], DEFAULT_KEY_SPACE, '--key-space');
  if (keySpace > 10 ** Math.min(keySizeBytes, 15)) throw new BenchUsageError(`--key-space ${keySpace} needs keys longer than --key-size ${keySizeBytes} (keys are zero-padded decimal numbers)`);
  const txnOperations = positiveInteger(values['txn-ops'], 1, '--txn-ops');
  if (values['txn-ops'] !== undefined && workload !== 'txn-put') throw new BenchUsageError('--txn-ops applies to txn-put only');
  if (txnOperations > keySpace) throw new BenchUsageError(`--txn-ops ${txnOperations} needs at least as many keys in --key-space (${keySpace}): a transaction may not name a key twice`);
  const rangeKeys = positiveInteger(values['range-keys'], 1, '--range-keys');
  if (values['range-keys'] !== undefined && workload !== 'range' && workload !== 'mixed') throw new BenchUsageError('--range-keys applies to range and mixed only');
  if (rangeKeys > keySpace) throw new BenchUsageError(`--range-keys ${rangeKeys} is more than the --key-space of ${keySpace}`);
  return Object.freeze({
    workload: workload as Workload,
    target,
    endpoints: Object.freeze(endpointList(values.endpoints ?? DEFAULT_ENDPOINTS[target])),
    conns: positiveInteger(values.conns, 1, '--conns'),
    clients: positiveInteger(values.clients, 1, '--clients'),
    total: values.duration === undefined ? positiveInteger(values.total, DEFAULT_TOTAL, '--total') : undefined,
    durationMs: values.duration === undefined ? undefined : parseDurationMs(values.duration, '--duration'),
    keySizeBytes,
    valueSizeBytes: positiveInteger(values['val-size'], 8, '--val-size'),
    keySpace,
    sequentialKeys: values['sequential-keys'] === true,
    txnOperations,
    rangeKeys,
    serializable: consistency === 's',
    json: values.json === true,
    requestTimeoutMs: positiveInteger(values['timeout-ms'], DEFAULT_REQUEST_TIMEOUT_MS, '--timeout-ms'),
    ...tlsOf(values),
    ...(values.user === undefined ? {} : { user: userOf(values.user) }),
  });
}

function tlsOf(values: ClientTlsPaths): Pick<BenchOptions, 'tls'> {
  try {
    const tls = readClientTlsFiles(values);
    return tls === undefined ? {} : { tls };
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
}

/** etcd's benchmark also takes a bare name and asks for the password; a load generator cannot ask. */
function userOf(text: string): ClientUser {
  const user = userOfFlag(text);
  if (user === undefined || user.password === '') throw new BenchUsageError(`--user takes name:password, both non-empty, got ${shownUserFlag(text)}`);
  return user;
}

function oneOf<T extends string>(text: string, allowed: readonly T[], name: string): T {
  if (!(allowed as readonly string[]).includes(text)) throw new BenchUsageError(`${name} must be ${allowed.join(' or ')}, got ${JSON.stringify(text)}`);
  return text as T;
}

function positiveInteger(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(value) || value <= 0) throw new BenchUsageError(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

function endpointList(text: string): string[] {
  const endpoints = text.split(',').map((endpoint) => endpoint.trim());
  for (const endpoint of endpoints) {
    if (!/^[^\s:/]+:\d{1,5}$/.test(endpoint)) throw new BenchUsageError(`--endpoints takes host:port,... ; ${JSON.stringify(endpoint)} is not host:port`);
  }
  return endpoints;
}

const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A time such as 30s, 2m or 500ms, in milliseconds; throws BenchUsageError naming `name`. */
export function parseDurationMs(text: string, name: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  const milliseconds = match === null ? NaN : Number(match[1]) * (DURATION_UNIT_MS[match[2] as string] as number);
  if (!(milliseconds >= 1)) throw new BenchUsageError(`${name} must be a positive time such as 30s, 2m or 500ms, got ${JSON.stringify(text)}`);
  return Math.round(milliseconds);
}
