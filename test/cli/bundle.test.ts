// The `bvault` command as `npm run build` ships it (scripts/bundle-cli.mjs): one bundle with a
// chunk per lazily loaded command. What a bundle can break that the sources cannot: packages
// kept external must still resolve, bundled CommonJS must find require(), and files found
// relative to the code (package.json for the version) must still be found. So this bundles the
// sources and runs the result as a member and as a client.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, REPOSITORY_ROOT, request, ServerProcess, temporaryDirectory } from '../cluster/cluster-harness.js';

const run = promisify(execFile);
/** Bundling, then a member's start from the bundle, on a loaded machine. */
const TEST_TIMEOUT_MS = 60_000;

let bundleDirectory: string;
let entry: string;

beforeAll(async () => {
  // Below the repository, so the external packages (classic-level) resolve from node_modules.
  await mkdir(join(REPOSITORY_ROOT, 'tmp'), { recursive: true });
  bundleDirectory = await mkdtemp(join(REPOSITORY_ROOT, 'tmp/bundle-test-'));
  await run(process.execPath, [join(REPOSITORY_ROOT, 'scripts/bundle-cli.mjs'), '--root', REPOSITORY_ROOT, '--outdir', bundleDirectory]);
  entry = join(bundleDirectory, 'main.js');
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  if (bundleDirectory !== undefined) await rm(bundleDirectory, { recursive: true, force: true });
});

describe('the bundled bvault command', () => {
  it('prints its version from package.json', async () => {
    const { stdout } = await run(process.execPath, [entry, 'version']);
    expect(stdout).toMatch(/^bvault \d+\.\d+\.\d+\n$/);
  });

  it(
    'runs a member that serves REST and gRPC, and the client commands talk to it',
    async () => {
      const previousEntry = process.env.BVAULT_SERVER_ENTRY;
      process.env.BVAULT_SERVER_ENTRY = entry;
      const ports = { http: await freePort(), raft: await freePort(), grpc: await freePort() };
      const member = new ServerProcess('n1', ports, join(await temporaryDirectory('bundle'), 'n1'), ['--initial-cluster', `n1=127.0.0.1:${ports.raft}`]);
      try {
        member.start();
        await member.waitUntilReady();
        expect((await request(member.url, 'PUT', '/api/v1/keys/bundled/rest', 'over REST')).status).toBe(200);
        await run(process.execPath, [entry, 'put', 'bundled/grpc', 'over gRPC', '--endpoints', member.grpcAddress]);
        const { stdout } = await run(process.execPath, [entry, 'get', 'bundled/', '--prefix', '--endpoints', member.grpcAddress]);
        expect(stdout).toContain('over REST');
        expect(stdout).toContain('over gRPC');
      } finally {
        if (previousEntry === undefined) delete process.env.BVAULT_SERVER_ENTRY;
        else process.env.BVAULT_SERVER_ENTRY = previousEntry;
        await member.terminate();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
