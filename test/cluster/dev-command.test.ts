// `bvault dev` (and `npm start`, which runs it) starts a local cluster, prints where it listens,
// serves writes and reads, and however it is stopped leaves no process behind: Ctrl-C, SIGTERM
// or SIGHUP to npm or to dev itself stop every node and exit 0; a node that dies, or cannot
// start, ends dev at once with that node's own error line; dev killed outright takes its nodes
// with it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT, request, temporaryDirectory, waitFor } from './cluster-harness.js';

const children: ChildProcess[] = [];
const EXIT_WAIT_MS = 40_000;

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

interface DevRun {
  readonly child: ChildProcess;
  readonly dataDir: string;
  readonly basePort: number;
  output(): string;
  /** Resolves with the exit code, or the signal's name. */
  readonly exited: Promise<number | string>;
}

/**
 * dev needs base..base+n-1, base-1000.. and base+1090..: from 28000 to 31099, above the ports
 * the harness hands out (below 27000) and below the kernel's ephemeral range (32768 and up).
 * Each run takes its own hundred, so runs of this file never share a port.
 */
let nextPortBlock = Math.floor(Math.random() * 9);
function basePortOfNextRun(): number {
  nextPortBlock = (nextPortBlock + 1) % 10;
  return 29_000 + nextPortBlock * 100;
}

/** Starts `bvault dev` directly, or through `npm start` (its own process group, as in a terminal). */
async function startDev(via: 'bvault' | 'npm', nodes: number, basePort = basePortOfNextRun(), extraArgs: readonly string[] = [], dataDir?: string): Promise<DevRun> {
  dataDir ??= await temporaryDirectory('dev');
  const devArgs = ['--nodes', String(nodes), '--base-port', String(basePort), '--data-dir', dataDir, ...extraArgs];
  // --ignore-scripts skips prestart's code generation (src/generated is present), not start itself.
  const [command, args] = via === 'npm' ? ['npm', ['start', '--ignore-scripts', '--', ...devArgs]] : [process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'dev', ...devArgs]];
  const child = spawn(command, args, { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: via === 'npm' });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, dataDir, basePort, output: () => output, exited };
}

async function waitUntilUp(run: DevRun): Promise<void> {
  await waitFor('the dev cluster to report it is up', 60_000, () => (run.output().includes('dev cluster is up') ? true : undefined)).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${run.output()}`);
  });
}

async function exitOf(run: DevRun): Promise<number | string> {
  return Promise.race([run.exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), EXIT_WAIT_MS))]);
}

/** Every process below `pid` (npm, dev and the nodes), from the process table. */
function descendantsOf(pid: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift() as number;
    for (const [child, ppid] of table) {
      if (ppid === parent) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function expectAllGone(pids: readonly number[], output: string): Promise<void> {
  await waitFor('every process of the dev cluster to exit', 30_000, () => (pids.every((pid) => !isAlive(pid)) ? true : undefined)).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; still alive: ${pids.filter(isAlive).join(', ')}\n${output}`);
  });
}

/**
 * Stops the run as `stop` does, then expects its exit code (unless `exitCode` is undefined:
 * npm has none of its own to give on SIGHUP) and every process it had started to be gone.
 */
async function expectStopsEverything(run: DevRun, stop: () => void, exitCode: number | undefined): Promise<void> {
  const pids = descendantsOf(run.child.pid as number);
  expect(pids.length).toBeGreaterThan(0);
  stop();
  const exited = await exitOf(run);
  if (exitCode !== undefined) expect(exited, run.output()).toBe(exitCode);
  await expectAllGone(pids, run.output());
}

/** Holds a port as another program would; connections to it are closed at once. */
async function occupy(port: number): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

function printedLines(run: DevRun, command: string): string[] {
  return run.output().split('\n').filter((line) => line.trim().startsWith(command)).map((line) => line.trim());
}

/** The printed etcdctl lines, split on spaces (no quoting in them to undo), and the curl lines through a shell, which the token needs. */
function expectPrintedLinesWork(run: DevRun, password: string): void {
  const [putLine, getLine] = printedLines(run, 'etcdctl');
  expect(putLine).toMatch(/^etcdctl --endpoints https:\/\/127\.0\.0\.1:\d+ --cacert \S+ca\.crt --cert \S+client\.crt --key \S+client\.key --user root:\S+ put hello world$/);
  expect(putLine).toContain(`--user root:${password} `);
  expect(execFileSync('etcdctl', putLine!.split(' ').slice(1), { encoding: 'utf8', timeout: 20_000 }).trim()).toBe('OK');
  expect(execFileSync('etcdctl', [...getLine!.split(' ').slice(1), '--print-value-only'], { encoding: 'utf8', timeout: 20_000 }).trim()).toBe('world');
  const curlLines = [...printedLines(run, 'TOKEN='), ...printedLines(run, 'curl')];
  expect(curlLines).toHaveLength(3);
  const script = `set -e\n${curlLines[0]}\ntest -n "$TOKEN"\n${curlLines[1]}\necho\n${curlLines[2]}`;
  expect(execFileSync('sh', ['-c', script], { encoding: 'utf8', timeout: 20_000, stdio: 'pipe' })).toMatch(/world$/);
}

describe('bvault dev', () => {
  it('with --tls serves every port over TLS with auth on, prints lines that work as printed, and restarts with auth still on', async () => {
    const run = await startDev('bvault', 3, basePortOfNextRun(), ['--tls']);
    await waitUntilUp(run);
    const password = (await readFile(join(run.dataDir, 'root-password'), 'utf8')).trim();
    expect((await stat(join(run.dataDir, 'root-password'))).mode & 0o777).toBe(0o600);
    expect(run.output()).toContain(`Authentication is on: user root, password ${password} `);
    expectPrintedLinesWork(run, password);
    // The certificate's CN names no user: without --user or a token, etcd's refusal.
    const [, getLine] = printedLines(run, 'etcdctl');
    const withoutUser = getLine!.replace(` --user root:${password}`, '').split(' ').slice(1);
    expect(() => execFileSync('etcdctl', withoutUser, { encoding: 'utf8', timeout: 20_000, stdio: 'pipe' })).toThrow(/etcdserver: permission denied/);
    // The bvault line, without npm's wrapper.
    const [bvaultLine] = printedLines(run, 'npm run bvault --');
    const bvaultArgs = bvaultLine!.split(' ').slice(4);
    expect(execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...bvaultArgs], { cwd: REPOSITORY_ROOT, encoding: 'utf8', timeout: 30_000 })).toContain('world');
    // The REST API is HTTPS now; plain HTTP gets no answer.
    await expect(request(`http://127.0.0.1:${run.basePort}`, 'GET', '/readyz')).rejects.toThrow();
    await expectStopsEverything(run, () => run.child.kill('SIGTERM'), 0);

    // Again on the same data directory: auth is already on, and the stored password still serves.
    const again = await startDev('bvault', 3, run.basePort, ['--tls'], run.dataDir);
    await waitUntilUp(again);
    expect(again.output()).toContain(`Authentication is still on: user root, password ${password} `);
    expectPrintedLinesWork(again, password);
    await expectStopsEverything(again, () => again.child.kill('SIGTERM'), 0);
  }, 240_000);

  it('starts a cluster, prints its HTTP and gRPC endpoints and stops cleanly on SIGINT', async () => {
    const run = await startDev('bvault', 3);
    await waitUntilUp(run);
    const urls = [0, 1, 2].map((index) => `http://127.0.0.1:${run.basePort + index}`);
    const output = run.output();
    expect(output).toContain('3 nodes');
    for (const url of urls) expect(output).toContain(url);
    for (const index of [0, 1, 2]) expect(output).toContain(`grpc 127.0.0.1:${run.basePort + 1090 + index}`);
    expect(output).toContain(`curl -X PUT ${urls[0]}/api/v1/keys/hello -d 'world'`);

    expect((await request(urls[0]!, 'PUT', '/api/v1/keys/hello', 'world')).status).toBe(200);
    expect((await request(urls[2]!, 'GET', '/api/v1/keys/hello')).text).toBe('world');
    // The web console it prints (built by npm test and npm start first).
    expect(output).toContain(`Web console: ${urls[0]}/ui/`);
    const page = await request(urls[0]!, 'GET', '/ui/');
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);

    run.child.kill('SIGINT');
    expect(await exitOf(run), run.output()).toBe(0);
    for (const name of ['n1', 'n2', 'n3']) expect(run.output()).toContain(`${name} stopped (code 0)`);
    for (const url of urls) await expect(request(url, 'GET', '/healthz')).rejects.toThrow();
  }, 120_000);

  it('says "1 node" and stops on SIGHUP with exit 0', async () => {
    const run = await startDev('bvault', 1);
    await waitUntilUp(run);
    expect(run.output()).toContain('is up: 1 node,');
    await expectStopsEverything(run, () => run.child.kill('SIGHUP'), 0);
  }, 120_000);

  it('takes its nodes with it when it is killed outright', async () => {
    const run = await startDev('bvault', 1);
    await waitUntilUp(run);
    await expectStopsEverything(run, () => run.child.kill('SIGKILL'), undefined);
  }, 120_000);

  it('stops the cluster and exits 1 naming the node when a node dies', async () => {
    const run = await startDev('bvault', 3);
    await waitUntilUp(run);
    const nodeLines = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(run.child.pid)], { encoding: 'utf8' }).trim().split('\n');
    const n2 = Number(nodeLines.find((line) => line.includes('--node-id n2 '))?.trim().split(/\s+/)[0]);
    await expectStopsEverything(run, () => process.kill(n2, 'SIGKILL'), 1);
    expect(run.output()).toContain('n2 exited (signal SIGKILL); stopping the cluster');
  }, 120_000);

  it('ends at once with the node\'s own error line when a node cannot start', async () => {
    const basePort = basePortOfNextRun();
    const taken = await occupy(basePort + 1);
    try {
      const run = await startDev('bvault', 3, basePort);
      const startedAt = Date.now();
      expect(await exitOf(run), run.output()).toBe(1);
      // Well before the 30 s wait for a leader: the node's exit ends the wait.
      expect(Date.now() - startedAt).toBeLessThan(25_000);
      expect(run.output()).toMatch(/bvault dev: n2 exited \(code 4\): bvault server: n2 cannot start: a listening port is unavailable/);
      expect(run.output()).not.toContain('no common leader');
      expect(run.output()).not.toMatch(/"level":60/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 120_000);
});

describe('npm start', () => {
  it('stops every process and exits 0 on Ctrl-C (SIGINT to its process group)', async () => {
    const run = await startDev('npm', 3);
    await waitUntilUp(run);
    await expectStopsEverything(run, () => process.kill(-(run.child.pid as number), 'SIGINT'), 0);
  }, 120_000);

  it('stops every process and exits 0 on SIGTERM to npm', async () => {
    const run = await startDev('npm', 1);
    await waitUntilUp(run);
    await expectStopsEverything(run, () => run.child.kill('SIGTERM'), 0);
  }, 120_000);

  it('stops every process on SIGHUP to npm, which npm does not forward', async () => {
    const run = await startDev('npm', 1);
    await waitUntilUp(run);
    await expectStopsEverything(run, () => run.child.kill('SIGHUP'), undefined);
  }, 120_000);
});
