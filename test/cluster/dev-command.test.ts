// `bvault dev` starts a local three-member cluster, prints where it listens, serves writes and
// reads, and stops every member cleanly on Ctrl-C (SIGINT).
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT, request, temporaryDirectory, waitFor } from './cluster-harness.js';

const children: Array<ReturnType<typeof spawn>> = [];

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

describe('bvault dev', () => {
  it('starts a cluster, prints its endpoints and stops cleanly on Ctrl-C', async () => {
    const dataDir = await temporaryDirectory('dev');
    // dev needs base..base+2, base-1000.. and base+1090..: 28000 to 31091, above the ports the
    // harness hands out (below 27000) and below the kernel's ephemeral range (32768 and up).
    const basePort = 29_000 + Math.floor(Math.random() * 1_000);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'dev', '--base-port', String(basePort), '--data-dir', dataDir], {
      cwd: REPOSITORY_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    await waitFor('the dev cluster to report it is up', 60_000, () => (output.includes('dev cluster is up') ? true : undefined)).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${output}`);
    });
    const urls = [0, 1, 2].map((index) => `http://127.0.0.1:${basePort + index}`);
    for (const url of urls) expect(output).toContain(url);
    expect(output).toContain(`curl -X PUT ${urls[0]}/api/v1/keys/hello -d 'world'`);

    expect((await request(urls[0]!, 'PUT', '/api/v1/keys/hello', 'world')).status).toBe(200);
    expect((await request(urls[2]!, 'GET', '/api/v1/keys/hello')).text).toBe('world');

    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 40_000))]);
    expect(code, output).toBe(0);
    for (const name of ['n1', 'n2', 'n3']) expect(output).toContain(`${name} stopped (code 0)`);
    for (const url of urls) await expect(request(url, 'GET', '/healthz')).rejects.toThrow();
  }, 90_000);
});
