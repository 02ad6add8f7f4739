// What `connect()` accepts, its defaults, and the checks made once before the client exists.
import type { RetryPolicy } from './backoff.js';
import type { ClientUser } from './token-source.js';

/** PEM bytes for TLS: the CA that signed the members' certificates, and a client certificate for client-cert-auth. */
export interface ClientTls {
  /** Default: the system's CAs. */
  readonly ca?: Buffer | string;
  readonly cert?: Buffer | string;
  readonly key?: Buffer | string;
}

export interface ConnectOptions {
  /**
   * Each member's gRPC listener, host:port or https://host:port; at least one. With `tls`, or
   * https:// endpoints, every endpoint is dialed over TLS.
   */
  readonly endpoints: readonly string[];
  readonly tls?: ClientTls;
  /** How long one attempt waits for a connection to an endpoint before trying the next. */
  readonly dialTimeoutMs?: number;
  /** The deadline of every call, all its retries included, unless the call sets its own. */
  readonly requestTimeoutMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Authenticate as this user (once; again when the token expires) and send its token with every call. */
  readonly user?: ClientUser;
}

export interface ResolvedOptions {
  /** host:port, the scheme taken off. */
  readonly endpoints: readonly string[];
  /** Present when the endpoints are dialed over TLS. */
  readonly tls?: ClientTls;
  readonly dialTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retry: RetryPolicy;
  readonly user?: ClientUser;
}

/** Options every call accepts. */
export interface CallOptions {
  /** Overrides the client's requestTimeoutMs for this call. */
  readonly timeoutMs?: number;
}

export const DEFAULT_OPTIONS = {
  dialTimeoutMs: 2_000,
  requestTimeoutMs: 10_000,
  // Enough to ride out an election (a second or two) without hiding a dead cluster for long.
  retry: { attemptsMax: 8, baseDelayMs: 50, maxDelayMs: 1_000 },
} as const;

export function resolveOptions(options: ConnectOptions): ResolvedOptions {
  const given = options.endpoints.map((endpoint) => endpoint.trim()).filter((endpoint) => endpoint !== '');
  const schemes = new Set(given.map((endpoint) => /^(https?):\/\//.exec(endpoint)?.[1]));
  const secure = options.tls !== undefined || schemes.has('https');
  const resolved: ResolvedOptions = {
    endpoints: [...new Set(given.map((endpoint) => endpoint.replace(/^https?:\/\//, '').replace(/\/$/, '')))],
    ...(secure ? { tls: options.tls ?? {} } : {}),
    dialTimeoutMs: options.dialTimeoutMs ?? DEFAULT_OPTIONS.dialTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_OPTIONS.requestTimeoutMs,
    retry: { ...DEFAULT_OPTIONS.retry, ...options.retry },
    ...(options.user === undefined ? {} : { user: options.user }),
  };
  const problems = problemsOf(resolved);
  if (secure && schemes.has('http')) problems.push('an http:// endpoint is plaintext, but TLS is asked for (tls options or an https:// endpoint); use https:// or host:port');
  if ((options.tls?.cert === undefined) !== (options.tls?.key === undefined)) problems.push('tls.cert and tls.key go together: a client certificate needs its key');
  if (problems.length > 0) throw new TypeError(`invalid client options: ${problems.join('; ')}`);
  return Object.freeze(resolved);
}

function problemsOf(options: ResolvedOptions): string[] {
  const problems: string[] = [];
  if (options.endpoints.length === 0) problems.push('endpoints must name at least one host:port');
  if (options.user !== undefined && options.user.name === '') problems.push('user.name must not be empty');
  for (const endpoint of options.endpoints) {
    if (!/^[^\s/]+:\d{1,5}$/.test(endpoint)) problems.push(`endpoint ${JSON.stringify(endpoint)} is not host:port`);
  }
  const positive: [string, number][] = [
    ['dialTimeoutMs', options.dialTimeoutMs],
    ['requestTimeoutMs', options.requestTimeoutMs],
    ['retry.attemptsMax', options.retry.attemptsMax],
    ['retry.baseDelayMs', options.retry.baseDelayMs],
    ['retry.maxDelayMs', options.retry.maxDelayMs],
  ];
  for (const [name, value] of positive) if (!Number.isFinite(value) || value <= 0) problems.push(`${name} must be a positive number, got ${value}`);
  if (options.retry.maxDelayMs < options.retry.baseDelayMs) problems.push('retry.maxDelayMs must be at least retry.baseDelayMs');
  return problems;
}
