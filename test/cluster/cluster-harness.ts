// A test kit for real Beaver-Vault clusters: every member is a `bvault server` process started
// from source (node --import tsx src/cli/main.ts server; or a build, see serverEntryArgs)
// on free loopback ports with a temporary data directory. It waits for readiness, finds the
// leader through /api/v1/admin/status, kills (SIGKILL) or stops (SIGTERM) members, restarts
// them on the same data directory, and cleans up every process and directory it made — after
// each file, and at process exit if a test runner dies first. Every wait has a deadline.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { requestText, type ClientTlsMaterial } from '../../src/tls/index.js';

export const REPOSITORY_ROOT = resolvePath(import.meta.dirname, '../..');
/**
 * How a server process is started: from source through tsx, or from a build when
 * BVAULT_SERVER_ENTRY names one (e.g. dist/src/cli/main.js), which the benchmark uses for
 * figures without the loader's overhead, or another source tree's src/cli/main.ts. Read at
 * each start, so a tool may set it after importing this module.
 */
function serverEntryArgs(): string[] {
  const entry = process.env.BVAULT_SERVER_ENTRY;
  return entryArgs(entry ? resolvePath(REPOSITORY_ROOT, entry) : join(REPOSITORY_ROOT, 'src/cli/main.ts'));
}

/** tsx's loader by path, so a server started in another working directory still finds it. */
const TSX_LOADER_URL = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A TypeScript entry (a source tree, such as a deliberately broken copy) runs through tsx. */
function entryArgs(entry: string): string[] {
  return entry.endsWith('.ts') ? ['--import', TSX_LOADER_URL, entry] : [entry];
}

/** Kept per process so a failure message shows what the server said last. */
const OUTPUT_TAIL_CHARACTERS = 20_000;
const POLL_INTERVAL_MS = 100;
const REQUEST_TIMEOUT_MS = 5_000;

export interface NodeStatusView {
  readonly id: number;
  readonly name: string;
  readonly clusterId: string;
  readonly role: string;
  readonly isLearner: boolean;
  readonly leaderId: number;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly revision: number;
  readonly dbSizeBytes: number;
  readonly alarms: readonly unknown[];
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

const livingProcesses = new Set<ChildProcess>();
const temporaryDirectories = new Set<string>();

// A runner that dies mid-test must not leave servers behind: kill them synchronously at exit.
process.once('exit', () => {
  for (const child of livingProcesses) child.kill('SIGKILL');
  for (const directory of temporaryDirectories) rmSync(directory, { recursive: true, force: true });
});

/**
 * Ports are picked at random below the kernel's ephemeral range (32768 and up on Linux), so an
 * outgoing connection cannot take one between this check and the server binding it; ports
 * handed out once are not handed out again by this process.
 */
const LISTEN_PORT_MINIMUM = 12_000;
const LISTEN_PORT_MAXIMUM = 27_000;
const handedOutPorts = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const port = LISTEN_PORT_MINIMUM + Math.floor(Math.random() * (LISTEN_PORT_MAXIMUM - LISTEN_PORT_MINIMUM));
    if (handedOutPorts.has(port) || !(await canListen(port))) continue;
    handedOutPorts.add(port);
    return port;
  }
}

async function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function temporaryDirectory(prefix: string): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), `bvault-${prefix}-`));
  temporaryDirectories.add(directory);
  return directory;
}

export async function sleep(milliseconds: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** Polls `probe` until it returns a value other than undefined, or throws `what` at the deadline. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(POLL_INTERVAL_MS);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError === undefined ? '' : ` (last error: ${String(lastError)})`}`);
}

/** One HTTP request with a deadline; a refused connection or timeout rejects. An https:// URL uses `tls`. */
export async function request(baseUrl: string, method: string, path: string, body?: string | Uint8Array | object, headers: Record<string, string> = {}, tls?: ClientTlsMaterial): Promise<HttpAnswer> {
  const isJson = body !== undefined && typeof body === 'object' && !(body instanceof Uint8Array);
  if (baseUrl.startsWith('https:')) {
    const answer = await requestText(`${baseUrl}${path}`, {
      method,
      headers: isJson ? { 'content-type': 'application/json', ...headers } : headers,
      ...(body === undefined ? {} : { body: isJson ? JSON.stringify(body) : (body as string | Uint8Array) }),
      timeoutMs: REQUEST_TIMEOUT_MS,
      ...(tls === undefined ? {} : { tls }),
    });
    return { status: answer.status, headers: new Headers(Object.entries(answer.headers).map(([name, value]) => [name, String(value)])), text: answer.text, json: jsonOrUndefined(answer.text) };
  }
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: isJson ? { 'content-type': 'application/json', ...headers } : headers,
    body: isJson ? JSON.stringify(body) : (body as string | Uint8Array | undefined),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: jsonOrUndefined(text) };
}

function jsonOrUndefined(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface ServerPorts {
  readonly http: number;
  readonly raft: number;
  readonly grpc: number;
}

export interface ServerProcessOptions {
  /** Variables to set in the server's environment; an undefined value removes the variable. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** Every process's whole output is appended here too, so nothing is lost to the tail or a restart. */
  readonly outputFile?: string;
  /** Flags for node itself, before the entry (e.g. --cpu-prof, which NODE_OPTIONS may not carry). */
  readonly nodeArgs?: readonly string[];
  /**
   * The server's working directory (default the repository) and whether its flags are exactly
   * the args given, without the harness's ports and data directory: a test of a command line
   * as a user types it.
   */
  readonly workingDirectory?: string;
  readonly argsAsGiven?: boolean;
  /** The REST API serves HTTPS: the harness's own requests show this CA and client certificate. */
  readonly clientTls?: ClientTlsMaterial;
}

/** One member: its settings, and the process currently running it (if any). */
export class ServerProcess {
  private child: ChildProcess | undefined;
  private output = '';
  private outputCopy: WriteStream | undefined;
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;

  constructor(
    readonly name: string,
    readonly ports: ServerPorts,
    readonly dataDir: string,
    /** The server flags other than the ports and data dir, e.g. --initial-cluster or --join. */
    private args: readonly string[],
    private readonly options: ServerProcessOptions = {},
  ) {}

  get url(): string {
    return `${this.options.clientTls === undefined ? 'http' : 'https'}://127.0.0.1:${this.ports.http}`;
  }

  /** A REST request to this member, over HTTPS with the member's client TLS when it has one. */
  request(method: string, path: string, body?: string | Uint8Array | object, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return request(this.url, method, path, body, headers, this.options.clientTls);
  }

  get peerAddress(): string {
    return `127.0.0.1:${this.ports.raft}`;
  }

  /** host:port of the member's gRPC API (native and etcd v3 services), as a gRPC client dials it. */
  get grpcAddress(): string {
    return `127.0.0.1:${this.ports.grpc}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything the current (or last) process wrote to stdout and stderr, the tail of it. */
  get log(): string {
    return this.output;
  }

  /** The flags of the next start other than the ports and data dir. */
  get flags(): readonly string[] {
    return this.args;
  }

  /** Replaces the flags for the next start (e.g. drop --join on restart). */
  setArgs(args: readonly string[]): void {
    this.args = args;
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    const flags = this.options.argsAsGiven === true ? [] : ['--node-id', this.name, '--http-port', String(this.ports.http), '--raft-port', String(this.ports.raft), '--grpc-port', String(this.ports.grpc), '--data-dir', this.dataDir];
    const child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), ...serverEntryArgs(), 'server', ...flags, ...this.args], {
      cwd: this.options.workingDirectory ?? REPOSITORY_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: this.environment(),
    });
    this.output = '';
    this.outputCopy ??= this.options.outputFile === undefined ? undefined : createWriteStream(this.options.outputFile, { flags: 'a' });
    const append = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARACTERS);
      this.outputCopy?.write(chunk);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    livingProcesses.add(child);
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => {
      livingProcesses.delete(child);
      resolve({ code, signal });
    }));
    this.child = child;
  }

  private environment(): NodeJS.ProcessEnv {
    const environment: NodeJS.ProcessEnv = { ...process.env, BVAULT_LOG_LEVEL: process.env.BVAULT_LOG_LEVEL ?? 'warn' };
    for (const [name, value] of Object.entries(this.options.environment ?? {})) {
      if (value === undefined) delete environment[name];
      else environment[name] = value;
    }
    return environment;
  }

  /** Resolves once everything written so far has reached the output file; `close` ends it. */
  async flushOutputFile(close = false): Promise<void> {
    const copy = this.outputCopy;
    if (copy === undefined) return;
    if (!close) return new Promise((resolve) => copy.write('', () => resolve()));
    this.outputCopy = undefined;
    await new Promise((resolve) => copy.end(resolve));
  }

  /** Resolves with the exit of the current process, or throws after `timeoutMs`. */
  async exited(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.exit === undefined) throw new Error(`${this.name} was never started`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} did not exit within ${timeoutMs} ms; its log:\n${this.output}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** kill -9: no chance to flush, close or hand over anything. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGKILL');
    await this.exited(10_000);
  }

  /** SIGTERM and wait for a graceful stop (SIGKILL after `timeoutMs` so tests never hang). */
  async terminate(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.exited(0);
    this.child?.kill('SIGTERM');
    try {
      return await this.exited(timeoutMs);
    } catch (error) {
      this.child?.kill('SIGKILL');
      throw error;
    }
  }

  async status(): Promise<NodeStatusView> {
    const answer = await this.request('GET', '/api/v1/admin/status');
    if (answer.status !== 200) throw new Error(`${this.name} status answered ${answer.status}: ${answer.text}`);
    return answer.json as NodeStatusView;
  }

  /** Waits until /readyz answers 200; fails fast (with the log) if the process exits first. */
  async waitUntilReady(timeoutMs = 30_000): Promise<void> {
    await waitFor(`${this.name} to be ready`, timeoutMs, async () => {
      if (!this.running) throw new Error(`${this.name} exited while starting; its log:\n${this.output}`);
      const answer = await this.request('GET', '/readyz').catch(() => undefined);
      return answer?.status === 200 ? true : undefined;
    }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n--- ${this.name} log ---\n${this.output}`);
    });
  }
}

export interface ClusterOptions {
  readonly size: number;
  /** Flags every member gets, e.g. ['--snapshot-entries', '50']. */
  readonly extraArgs?: readonly string[];
  readonly prefix?: string;
  /** How each member's process is started, given the member's name. */
  readonly memberOptions?: (name: string) => ServerProcessOptions;
}

/** Members started together with one --initial-cluster, each with its own data directory. */
export class TestCluster {
  private constructor(
    readonly root: string,
    readonly members: ServerProcess[],
    private readonly extraArgs: readonly string[],
  ) {}

  static async start(options: ClusterOptions): Promise<TestCluster> {
    const root = await temporaryDirectory(options.prefix ?? 'cluster');
    const names = Array.from({ length: options.size }, (_unused, index) => `n${index + 1}`);
    const ports: ServerPorts[] = [];
    for (const _name of names) ports.push({ http: await freePort(), raft: await freePort(), grpc: await freePort() });
    const initialCluster = names.map((name, index) => `${name}=127.0.0.1:${(ports[index] as ServerPorts).raft}`).join(',');
    const extraArgs = options.extraArgs ?? [];
    const members = names.map(
      (name, index) => new ServerProcess(name, ports[index] as ServerPorts, join(root, name), ['--initial-cluster', initialCluster, ...extraArgs], options.memberOptions?.(name)),
    );
    const cluster = new TestCluster(root, members, extraArgs);
    for (const member of members) member.start();
    await Promise.all(members.map((member) => member.waitUntilReady()));
    return cluster;
  }

  member(name: string): ServerProcess {
    const member = this.members.find((candidate) => candidate.name === name);
    if (member === undefined) throw new Error(`no member ${name}`);
    return member;
  }

  running(): ServerProcess[] {
    return this.members.filter((member) => member.running);
  }

  /** The member every running member names as leader (excluding `excluded`), once they agree. */
  async leader(timeoutMs = 15_000, excluded?: ServerProcess): Promise<ServerProcess> {
    return waitFor('a leader every running member agrees on', timeoutMs, async () => {
      const leader = await agreedLeader(this.running());
      return leader === excluded ? undefined : leader;
    });
  }

  /** A fourth member that joins through `via` with --join; started, not yet waited for. */
  async addJoiningMember(name: string, via: ServerProcess, options?: ServerProcessOptions): Promise<ServerProcess> {
    const ports = { http: await freePort(), raft: await freePort(), grpc: await freePort() };
    const member = new ServerProcess(name, ports, join(this.root, name), ['--join', via.url, ...this.extraArgs], options);
    this.members.push(member);
    member.start();
    return member;
  }

  /** SIGKILLs whatever still runs and deletes the data; safe to call twice. */
  async destroy(): Promise<void> {
    await Promise.all(this.members.map((member) => member.kill().catch(() => undefined)));
    await rm(this.root, { recursive: true, force: true });
    temporaryDirectories.delete(this.root);
  }
}

/** The member that is leader and that every one of `members` names as leader, or undefined. */
export async function agreedLeader<Member extends { readonly name: string; status(): Promise<NodeStatusView> }>(members: readonly Member[]): Promise<Member | undefined> {
  const statuses = await Promise.all(members.map((member) => member.status()));
  const leaderIds = new Set(statuses.map((status) => status.leaderId));
  const leaderStatus = statuses.find((status) => status.role === 'leader');
  if (leaderIds.size !== 1 || leaderStatus === undefined || !leaderIds.has(leaderStatus.id)) return undefined;
  return members.find((member) => member.name === leaderStatus.name);
}

export interface ListedKey {
  readonly key: string;
  readonly value: string;
}

/** Every key under `prefix`, following the list cursor page by page. */
export async function listAll(baseUrl: string, prefix: string, consistency: 'linearizable' | 'serializable' = 'linearizable'): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const query = `prefix=${encodeURIComponent(prefix)}&limit=1000&consistency=${consistency}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const answer = await request(baseUrl, 'GET', `/api/v1/keys?${query}`);
    if (answer.status !== 200) throw new Error(`listing ${prefix} at ${baseUrl} answered ${answer.status}: ${answer.text}`);
    const page = answer.json as { items: ListedKey[]; nextCursor?: string | null };
    for (const item of page.items) found.set(item.key, item.value);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return found;
}

export type WriteTarget = Pick<ServerProcess, 'url' | 'running'>;

/**
 * Clients that keep writing distinct keys to the members in turn and remember which writes
 * were acknowledged (200). Failed or unanswered writes are not counted: they may or may not
 * have committed, and only acknowledged ones are promised.
 */
export class ConcurrentWriters {
  readonly acknowledged = new Map<string, string>();
  failures = 0;
  private running = true;
  private readonly loops: Promise<void>[];

  /** `members` may be any REST endpoints, e.g. the pods of a cluster on the Kubernetes test bed. */
  constructor(
    members: () => readonly WriteTarget[],
    clients: number,
    readonly prefix: string,
  ) {
    this.loops = Array.from({ length: clients }, (_unused, client) => this.writeLoop(members, client));
  }

  private async writeLoop(members: () => readonly WriteTarget[], client: number): Promise<void> {
    for (let sequence = 0; this.running; sequence++) {
      const targets = members().filter((member) => member.running);
      const target = targets[(client + sequence) % Math.max(1, targets.length)];
      const key = `${this.prefix}${client}-${sequence}`;
      const value = `v${sequence}-${Date.now()}`;
      try {
        if (target === undefined) throw new Error('no member running');
        const answer = await request(target.url, 'PUT', `/api/v1/keys/${key}`, value);
        if (answer.status === 200) this.acknowledged.set(key, value);
        else this.failures++;
      } catch {
        this.failures++;
        await sleep(50);
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

/** The acknowledged writes a member does not hold (missing or with another value). */
export function missingWrites(acknowledged: ReadonlyMap<string, string>, present: ReadonlyMap<string, string>): string[] {
  return [...acknowledged].filter(([key, value]) => present.get(key) !== value).map(([key]) => key);
}
