// The image, built for real from the Dockerfile as written: test/image/build-image.sh builds it
// with buildah (no Docker engine here) on a node:20-bookworm-slim it made with debootstrap, in
// an image store of its own. Then the image's configuration (user, entrypoint, labels, ports),
// its files (the bundle, the production packages of package-lock.json and no others) and its
// size are checked, its entrypoint is run in it with `buildah run --isolation chroot`, and the
// server is run the same way from the image's root mounted read-only, with only the data volume
// writable, and serves a write from the image's own client on loopback.

import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort, REPOSITORY_ROOT, request, waitFor } from '../cluster/cluster-harness.js';
import { stopByPid } from '../k8s/bed/processes.js';

const run = promisify(execFile);
const VERSION = (JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const USER = '65532:65532';
const DATA_DIR = '/var/lib/bvault';
/** The first run makes the base image (debootstrap) and downloads every package; later runs reuse both. */
const BUILD_TIMEOUT_MS = 45 * 60_000;
const SIZE_BYTES_MAX = 700 * 1024 * 1024;

interface ImageConfig {
  readonly User: string;
  readonly Entrypoint: string[];
  readonly Cmd: string[];
  readonly Env: string[];
  readonly Labels: Record<string, string>;
  readonly ExposedPorts: Record<string, unknown>;
}

let image: string;
let storageConf: string;
let config: ImageConfig;
let container: string | undefined;
let root: string;
/** Removed by afterAll: the data directories belong to the image's user, the run directories are buildah's /run. */
const directories: string[] = [];

function temporaryDirectory(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), `bvault-image-${prefix}-`));
  directories.push(directory);
  return directory;
}

async function buildah(args: readonly string[], timeoutMs = 120_000): Promise<string> {
  const options = { timeout: timeoutMs, killSignal: 'SIGKILL' as const, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, CONTAINERS_STORAGE_CONF: storageConf } };
  return (await run('buildah', args, options)).stdout;
}

/** Runs the image's entrypoint with these arguments, as the image's user, in buildah's chroot isolation. */
async function runEntrypoint(args: readonly string[]): Promise<string> {
  return buildah(['run', '--isolation', 'chroot', container!, '--', ...config.Entrypoint, ...args], 60_000);
}

/** Exit code and output of a command expected to fail. */
async function failure(command: Promise<unknown>): Promise<{ code: number; stderr: string }> {
  return command.then(
    () => ({ code: 0, stderr: '' }),
    (error: { code?: number; stderr?: string }) => ({ code: error.code ?? -1, stderr: error.stderr ?? '' }),
  );
}

beforeAll(async () => {
  const started = Date.now();
  const built = await run('bash', [join(REPOSITORY_ROOT, 'test', 'image', 'build-image.sh')], { timeout: BUILD_TIMEOUT_MS, killSignal: 'SIGKILL' });
  [image = '', storageConf = ''] = built.stdout.trim().split('\n');
  const progress = built.stderr.split('\n').filter((line) => line.startsWith('build-image:'));
  console.log(`${progress.join('\n')}\nbuild-image.sh took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  config = (JSON.parse(await buildah(['inspect', '--type', 'image', image])) as { OCIv1: { config: ImageConfig } }).OCIv1.config;
  // Named after the clone, so a run killed before afterAll leaves a container the next run
  // removes, and clones sharing the image store do not remove each other's.
  const name = `bvault-image-test-${createHash('sha256').update(REPOSITORY_ROOT).digest('hex').slice(0, 12)}`;
  await buildah(['rm', name]).catch((error: { stderr?: string }) => {
    if (!/no container with name or ID|container not known/i.test(error.stderr ?? '')) throw error;
  });
  container = (await buildah(['from', '--pull=never', '--quiet', '--name', name, image])).trim();
  root = (await buildah(['mount', container])).trim();
}, BUILD_TIMEOUT_MS + 5 * 60_000);

afterAll(async () => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  if (container === undefined) return;
  await buildah(['umount', container]);
  await buildah(['rm', container]);
}, 120_000);

describe('the image', () => {
  it('runs bvault as a non-root user, with the OCI labels and the ports', async () => {
    expect(image).toBe(`localhost/beaver-vault:${VERSION}`);
    expect(config.User).toBe(USER);
    // The chart runs the operator's pods as the same user, with a read-only root.
    const chart = parse(readFileSync(join(REPOSITORY_ROOT, 'charts/beaver-vault/values.yaml'), 'utf8')) as { podSecurityContext: { runAsUser: number; runAsGroup: number }; securityContext: { readOnlyRootFilesystem: boolean } };
    expect(`${chart.podSecurityContext.runAsUser}:${chart.podSecurityContext.runAsGroup}`).toBe(USER);
    expect(chart.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(config.Entrypoint).toEqual(['node', '/app/dist/src/cli/main.js']);
    expect(config.Cmd).toEqual(['server']);
    expect(config.Env).toEqual(expect.arrayContaining(['NODE_ENV=production', `BVAULT_DATA_DIR=${DATA_DIR}`]));
    const revision = (await run('git', ['rev-parse', 'HEAD'], { cwd: REPOSITORY_ROOT })).stdout.trim();
    // A clone without a remote has no URL to name; build-image.sh passes origin's when there is one.
    const source = (await run('git', ['remote', 'get-url', 'origin'], { cwd: REPOSITORY_ROOT }).catch(() => ({ stdout: 'unknown' }))).stdout.trim();
    expect(config.Labels).toMatchObject({
      'org.opencontainers.image.title': 'Beaver-Vault',
      'org.opencontainers.image.description': expect.stringContaining('etcd-compatible') as string,
      // The Dockerfile's default VERSION, which build-image.sh does not override: it must be package.json's.
      'org.opencontainers.image.version': VERSION,
      'org.opencontainers.image.revision': revision,
      'org.opencontainers.image.source': source,
      'org.opencontainers.image.licenses': 'Apache-2.0',
    });
    expect(Object.keys(config.ExposedPorts).sort()).toEqual(['7000/tcp', '8000/tcp', '8080/tcp', '9090/tcp']);
  });

  it('holds the bundle and exactly the production packages, within a size bound', async () => {
    expect(readdirSync(join(root, 'app')).sort()).toEqual(['dist', 'node_modules', 'package.json']);
    expect(readdirSync(join(root, 'app/dist')).sort()).toEqual(['console', 'src']);
    expect(existsSync(join(root, 'app/dist/src/cli/main.js'))).toBe(true);
    expect(existsSync(join(root, 'app/dist/console/index.html'))).toBe(true);
    // package-lock.json marks what only development needs (vitest, typescript, esbuild, ...).
    const lock = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const packages = Object.entries(lock.packages).filter(([path]) => path !== '');
    const present = packages.filter(([path]) => existsSync(join(root, 'app', path))).map(([path]) => path);
    const production = packages.filter(([, entry]) => entry.dev !== true).map(([path]) => path);
    expect(production.length).toBeGreaterThan(0);
    expect(present.sort()).toEqual(production.sort());
    expect(present).not.toContain('node_modules/vitest');
    expect((await run('stat', ['-c', '%u:%g', join(root, DATA_DIR)])).stdout.trim()).toBe(USER);

    const bytes = Number((await run('du', ['-sb', root])).stdout.split('\t')[0]);
    const base = (await buildah(['images', '--format', '{{.Size}}', 'docker.io/library/node:20-bookworm-slim'])).trim();
    const reported = (await buildah(['images', '--format', '{{.Size}}', image])).trim();
    console.log(`${image}: ${(bytes / 1e6).toFixed(0)} MB unpacked; buildah images: ${reported}, of which the base ${base}`);
    expect(bytes).toBeLessThan(SIZE_BYTES_MAX);
  });

  it('runs the CLI, the server and the operator through its entrypoint, as its user', async () => {
    expect(await buildah(['run', '--isolation', 'chroot', container!, '--', 'id', '-u'])).toBe('65532\n');
    expect(await runEntrypoint(['--version'])).toContain(`bvault ${VERSION}`);
    expect(await runEntrypoint(['--help'])).toMatch(/Usage: bvault <command>/);
    expect(await runEntrypoint(['server', '--help'])).toMatch(/--data-dir/);
    expect(await runEntrypoint(['operator', '--help'])).toMatch(/Usage: bvault operator/);
    const unknown = await failure(runEntrypoint(['bogus']));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "bogus"');
  });

  it('serves from a read-only root filesystem, writing only to its data volume', async () => {
    const data = temporaryDirectory('data');
    await run('chown', [USER, data]);
    const [http, grpc, raft] = [await freePort(), await freePort(), await freePort()];
    const server = spawnReadOnly(data, [...config.Entrypoint, 'server', '--node-id', 'image', '--http-host', '127.0.0.1', '--http-port', `${http}`, '--grpc-port', `${grpc}`, '--raft-host', '127.0.0.1', '--raft-port', `${raft}`]);
    try {
      const url = `http://127.0.0.1:${http}`;
      await waitFor('the server in the image to be ready', 90_000, async () => ((await request(url, 'GET', '/readyz').catch(() => undefined))?.status === 200 ? true : undefined)).catch((error: Error) => {
        throw new Error(`${error.message}; its output: ${server.output().slice(-2000)}`);
      });
      // The image's own client, over gRPC on loopback (chroot isolation shares the host's network).
      await runEntrypoint(['put', 'from-the-image', 'read-only root', '--endpoints', `127.0.0.1:${grpc}`]);
      expect(await runEntrypoint(['get', 'from-the-image', '--endpoints', `127.0.0.1:${grpc}`])).toContain('read-only root');
      expect((await request(url, 'GET', '/api/v1/keys/from-the-image')).text).toContain('read-only root');
      // The web console, from the image's dist/console.
      const consolePage = await request(url, 'GET', '/ui/');
      expect([consolePage.status, consolePage.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
      expect(readdirSync(data)).not.toEqual([]);
    } finally {
      await server.stop();
    }
    expect(server.output()).not.toMatch(/EROFS|read-only file system/i);
    expect(server.writtenToRun()).toEqual([]);
    // The same set-up refuses a write to the root, so the server really had no other place to write.
    const attempt = spawnReadOnly(data, ['touch', '/app/written']);
    await attempt.exited;
    expect(attempt.output()).toContain("touch: cannot touch '/app/written': Read-only file system");
    expect(existsSync(join(root, 'app/written'))).toBe(false);
  }, 240_000);
});

interface ReadOnlyRun {
  readonly exited: Promise<void>;
  output(): string;
  /** What is left in the container's /run, which buildah needs writable (below). */
  writtenToRun(): string[];
  /** Stops the command by its pid, so that buildah cleans up after it; then anything left. */
  stop(): Promise<void>;
}

/**
 * Runs a command in the container with `buildah run --isolation chroot`, its root filesystem
 * read-only and the data directory as its writable volume. buildah run has no read-only flag, so
 * in a mount namespace of its own the container's root, which beforeAll mounted, is bind-mounted
 * read-only onto itself; buildah run finds the container mounted and runs in that mount. buildah
 * writes /run/.containerenv before the command starts and removes it after, so /run is an empty
 * directory of the host's, bind-mounted writable, which the test then finds empty.
 */
function spawnReadOnly(data: string, command: readonly string[]): ReadOnlyRun {
  const runDirectory = temporaryDirectory('run');
  const script = ['set -e', 'mount --bind "$1" "$1"', 'mount -o remount,bind,ro "$1"', 'mount --bind "$2" "$1/run"', 'shift 2', 'exec "$@"'].join('\n');
  const buildahRun = ['buildah', 'run', '--isolation', 'chroot', '--volume', `${data}:${DATA_DIR}:rw`, container!, '--', ...command];
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', root, runDirectory, ...buildahRun], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CONTAINERS_STORAGE_CONF: storageConf },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    exited,
    output: () => output,
    writtenToRun: () => readdirSync(runDirectory),
    stop: async () => {
      const below = descendants(child.pid!);
      // buildah runs the command by its full path: /usr/local/bin/node for node.
      const commandPid = below.find((pid) => basename(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '') === command[0]);
      if (commandPid !== undefined) await stopByPid([commandPid], 15_000);
      const gone = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000))]);
      if (!gone) await stopByPid([child.pid!, ...below], 5_000);
      await exited;
      expect(commandPid, `no ${command[0]} process below buildah run`).toBeDefined();
      expect(gone, 'buildah run did not end after its command').toBe(true);
    },
  };
}

/** Every process below pid, read from /proc: buildah runs the command as a grandchild, forked from any of its threads. */
function descendants(pid: number): number[] {
  let children: number[];
  try {
    children = readdirSync(`/proc/${pid}/task`).flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return []; // it has exited meanwhile
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}
