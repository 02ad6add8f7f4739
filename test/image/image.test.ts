// The image, built for real from the Dockerfile as written: buildah (no Docker engine here)
// builds it with chroot isolation on the base image test/image/ensure-base-image.sh made in
// buildah's storage, without pulling. Then its configuration (user, entrypoint, labels, ports),
// its files (the bundle, production packages only) and its size are checked, its entrypoints are
// run in it, and the server is started from its root filesystem mounted read-only, with only
// the data volume writable, and serves a write and a read on loopback.

import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, REPOSITORY_ROOT, request, temporaryDirectory, waitFor } from '../cluster/cluster-harness.js';
import { stopByPid } from '../k8s/bed/processes.js';

const run = promisify(execFile);
const VERSION = (JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const IMAGE = `localhost/beaver-vault:${VERSION}`;
/** A first build downloads every package (npm's cache is kept for the next); later ones reuse the layers. */
const BUILD_TIMEOUT_MS = 25 * 60_000;
const SIZE_BYTES_MAX = 700 * 1024 * 1024;

interface ImageConfig {
  readonly User: string;
  readonly Entrypoint: string[];
  readonly Cmd: string[];
  readonly Env: string[];
  readonly Labels: Record<string, string>;
  readonly ExposedPorts: Record<string, unknown>;
}

let revision: string;
let container: string;
let root: string;

async function buildah(args: readonly string[], timeoutMs = 120_000): Promise<string> {
  return (await run('buildah', args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 })).stdout;
}

/** Runs a command in the image, as the image's user, through buildah's chroot isolation. */
async function runInImage(args: readonly string[]): Promise<string> {
  return buildah(['run', '--isolation', 'chroot', container, '--', ...args], 60_000);
}

beforeAll(async () => {
  await run('bash', [join(REPOSITORY_ROOT, 'test', 'image', 'ensure-base-image.sh')], { timeout: 20 * 60_000, killSignal: 'SIGKILL' });
  revision = (await run('git', ['rev-parse', 'HEAD'], { cwd: REPOSITORY_ROOT })).stdout.trim();
  const started = Date.now();
  await buildah(['bud', '--isolation', 'chroot', '--pull=never', '--layers', '--quiet', '-t', IMAGE, '--build-arg', `REVISION=${revision}`, REPOSITORY_ROOT], BUILD_TIMEOUT_MS);
  console.log(`built ${IMAGE} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  container = (await buildah(['from', '--pull=never', IMAGE])).trim();
  root = (await buildah(['mount', container])).trim();
}, BUILD_TIMEOUT_MS + 25 * 60_000);

afterAll(async () => {
  if (container !== undefined) {
    await buildah(['umount', container]).catch(() => undefined);
    await buildah(['rm', container]).catch(() => undefined);
  }
  // Each build leaves the layers of the one before it untagged, some 600 MB: they go, and the
  // next build takes its packages from npm's cache, which buildah keeps apart.
  await buildah(['rmi', '--prune']).catch(() => undefined);
}, 120_000);

describe('the image', () => {
  it('runs bvault as a non-root user, with the OCI labels and the ports', async () => {
    const config = (JSON.parse(await buildah(['inspect', '--type', 'image', IMAGE])) as { OCIv1: { config: ImageConfig } }).OCIv1.config;
    expect(config.User).toBe('65532:65532');
    expect(config.Entrypoint).toEqual(['node', '/app/dist/src/cli/main.js']);
    expect(config.Cmd).toEqual(['server']);
    expect(config.Env).toEqual(expect.arrayContaining(['NODE_ENV=production', 'BVAULT_DATA_DIR=/var/lib/bvault']));
    expect(config.Labels).toMatchObject({
      'org.opencontainers.image.title': 'Beaver-Vault',
      'org.opencontainers.image.version': VERSION,
      'org.opencontainers.image.revision': revision,
      'org.opencontainers.image.licenses': 'Apache-2.0',
    });
    expect(Object.keys(config.ExposedPorts).sort()).toEqual(['7000/tcp', '8000/tcp', '8080/tcp', '9090/tcp']);
  });

  it('holds the bundle and the production packages only, and has a size within bounds', async () => {
    const listing = await run('ls', [join(root, 'app/dist/src/cli'), join(root, 'app/node_modules')]);
    expect(listing.stdout).toContain('main.js');
    expect(listing.stdout).toContain('classic-level');
    for (const devOnly of ['vitest', 'typescript', 'esbuild', 'eslint']) expect(listing.stdout.split('\n'), devOnly).not.toContain(devOnly);
    // The protobuf runtime stays; the buf compiler that generated the code does not.
    expect((await run('ls', [join(root, 'app/node_modules/@bufbuild')])).stdout.split('\n')).toEqual(expect.arrayContaining(['protobuf']));
    expect((await run('ls', [join(root, 'app/node_modules/@bufbuild')])).stdout.split('\n')).not.toContain('buf');
    const owner = await run('stat', ['-c', '%u:%g', join(root, 'var/lib/bvault')]);
    expect(owner.stdout.trim()).toBe('65532:65532');
    const size = Number((await buildah(['images', '--format', '{{.Size}}', '--noheading', '--filter', `reference=${IMAGE}`])).trim().split('\n')[0]?.replace(/[^\d.]/g, '') ?? NaN);
    const bytes = Number((await run('du', ['-sb', root])).stdout.split('\t')[0]);
    console.log(`image ${IMAGE}: ${(bytes / 1024 / 1024).toFixed(0)} MiB unpacked (buildah reports ${size} MB)`);
    expect(bytes).toBeLessThan(SIZE_BYTES_MAX);
  });

  it('runs the CLI, the server and the operator entrypoints', async () => {
    expect(await runInImage(['node', '/app/dist/src/cli/main.js', '--version'])).toContain(`bvault ${VERSION}`);
    expect(await runInImage(['node', '/app/dist/src/cli/main.js', 'server', '--help'])).toMatch(/data-dir/);
    expect(await runInImage(['node', '/app/dist/src/cli/main.js', 'operator', '--help'])).toMatch(/Usage: bvault operator/);
    expect(await runInImage(['id', '-u'])).toBe('65532\n');
  });

  it('serves from a read-only root filesystem, writing only to its data volume', async () => {
    const data = await temporaryDirectory('image-data');
    await run('chown', ['65532:65532', data]);
    const [http, grpc, raft] = [await freePort(), await freePort(), await freePort()];
    // A mount namespace of its own: the image's root bind-mounted read-only onto itself, the data
    // volume bind-mounted writable, then the entrypoint as the image's user. Each step execs the
    // next, so the pid is the server's.
    const script = [
      'set -e',
      `mount --bind ${root} ${root}`,
      `mount -o remount,bind,ro ${root}`,
      `mount --bind ${data} ${root}/var/lib/bvault`,
      `exec chroot --userspec=65532:65532 ${root} env -i PATH=/usr/local/bin:/usr/bin:/bin NODE_ENV=production BVAULT_DATA_DIR=/var/lib/bvault node /app/dist/src/cli/main.js server --node-id image --http-host 127.0.0.1 --http-port ${http} --grpc-port ${grpc} --raft-host 127.0.0.1 --raft-port ${raft}`,
    ].join('\n');
    const server = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const url = `http://127.0.0.1:${http}`;
      await waitFor(`the server in the image to be ready (output: ${output.slice(-2000)})`, 60_000, async () => ((await request(url, 'GET', '/readyz').catch(() => undefined))?.status === 200 ? true : undefined));
      expect((await request(url, 'PUT', '/api/v1/keys/from-the-image', 'read-only root')).status).toBe(200);
      expect((await request(url, 'GET', '/api/v1/keys/from-the-image')).text).toContain('read-only root');
      // Its data went to the volume.
      expect((await run('ls', [data])).stdout.trim()).not.toBe('');
    } finally {
      await stopByPid([server.pid!], 10_000);
    }
    // The root filesystem really was read-only to it: writing there fails the same way.
    const attempt = await run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount --bind ${root} ${root} && mount -o remount,bind,ro ${root} && exec chroot --userspec=65532:65532 ${root} touch /app/written`]).then(() => 'written', (error: { stderr?: string }) => error.stderr ?? 'refused');
    expect(attempt).toMatch(/Read-only file system/);
  }, 120_000);
});
