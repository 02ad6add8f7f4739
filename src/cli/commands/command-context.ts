// What every client command shares: the flags --endpoints, --write-out, --timeout-ms, --user
// and the TLS files (--cacert, --cert, --key), the client made from them, and where output goes.
import { parseArgs } from 'node:util';
import { type BeaverVaultClient, type ClientTls, connect } from '../../client/index.js';
import { readClientTlsFiles } from '../../client/client-tls-files.js';
import type { ClientUser } from '../../client/token-source.js';
import { shownUserFlag, userOfFlag } from '../../client/user-flag.js';
import { UsageError } from './client-exit-codes.js';
import { COMMON_OPTIONS, type OptionsConfig } from './common-flags.js';

export const DEFAULT_ENDPOINTS = '127.0.0.1:9090';

export type OutputFormat = 'table' | 'json';

export interface CommandContext {
  readonly client: BeaverVaultClient;
  readonly format: OutputFormat;
  readonly positionals: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream | NodeJS.WritableStream;
}

export const COMMON_FLAGS_HELP = `Common flags:
  --endpoints host:port,...   gRPC endpoints (default ${DEFAULT_ENDPOINTS}, or BVAULT_ENDPOINTS)
  -w, --write-out table|json  output format (default table)
  --timeout-ms N              deadline of each request, retries included (default 10000)
  --user name:password        authenticate as this user (as etcdctl's --user) when auth is enabled
  --cacert file               TLS: CA bundle that signed the members' certificates (or BVAULT_CACERT)
  --cert file, --key file     TLS: client certificate and key, for client-cert-auth (or BVAULT_CERT, BVAULT_KEY)
  With any of these, or https:// endpoints, every endpoint is dialed over TLS.`;

/** Parses the command's flags and the common ones, and connects; throws UsageError on a bad command line. */
export function commandContext(args: readonly string[], options: OptionsConfig, environment: NodeJS.ProcessEnv): CommandContext {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const format = String(values['write-out'] ?? 'table');
  if (format !== 'table' && format !== 'json') throw new UsageError(`--write-out must be table or json, got ${JSON.stringify(format)}`);
  const endpoints = String(values.endpoints ?? environment.BVAULT_ENDPOINTS ?? DEFAULT_ENDPOINTS).split(',');
  const timeoutMs = values['timeout-ms'] === undefined ? undefined : positiveInteger(String(values['timeout-ms']), '--timeout-ms');
  const user = values.user === undefined ? undefined : userOf(String(values.user));
  let client: BeaverVaultClient;
  try {
    const tls = tlsOf(values, environment);
    client = connect({ endpoints, ...(timeoutMs === undefined ? {} : { requestTimeoutMs: timeoutMs }), ...(tls === undefined ? {} : { tls }), ...(user === undefined ? {} : { user }) });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return { client, format, positionals: parsed.positionals, values, stdout: process.stdout, stderr: process.stderr };
}

/** The PEM files named by --cacert, --cert and --key, or else BVAULT_CACERT, BVAULT_CERT and BVAULT_KEY. */
function tlsOf(values: Readonly<Record<string, string | boolean | undefined>>, environment: NodeJS.ProcessEnv): ClientTls | undefined {
  const paths: Record<string, string> = {};
  const origins: Record<string, string> = {};
  for (const name of ['cacert', 'cert', 'key'] as const) {
    const variable = `BVAULT_${name.toUpperCase()}`;
    const path = values[name] ?? environment[variable];
    if (path === undefined || path === '') continue;
    paths[name] = String(path);
    if (values[name] === undefined) origins[name] = variable;
  }
  try {
    return readClientTlsFiles(paths, origins);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function userOf(text: string): ClientUser {
  const user = userOfFlag(text);
  if (user === undefined) throw new UsageError(`--user must be name:password with a non-empty name, got ${shownUserFlag(text)}`);
  return user;
}

export function positiveInteger(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new UsageError(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

export function requiredPositional(context: CommandContext, index: number, name: string): string {
  const value = context.positionals[index];
  if (value === undefined) throw new UsageError(`${name} is required`);
  return value;
}
