// `bvault` pointed at a member's HTTP port, the one the dev banner lists first, says at once
// that it is an HTTP port and which port is the gRPC one, instead of waiting out the dial
// timeout and saying only that no connection was established.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT, TestCluster } from '../cluster/cluster-harness.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 1, prefix: 'cli-http-port' });
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

describe('bvault at an HTTP port', () => {
  it('names the gRPC port within a few seconds', async () => {
    const member = cluster.member('n1');
    const httpEndpoint = `127.0.0.1:${member.ports.http}`;
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPOSITORY_ROOT, 'src/cli/main.ts'), 'get', 'hello', '--endpoints', httpEndpoint], { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const startedAt = Date.now();
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
    expect(code, stderr).not.toBe(0);
    expect(stderr).toContain(`${httpEndpoint} is an HTTP port`);
    expect(stderr).toContain(`the gRPC port is 127.0.0.1:${member.ports.grpc}`);
    // The dial timeout is 10 s; the tool's own start under tsx takes a few seconds.
    expect(Date.now() - startedAt).toBeLessThan(8_000);
  }, 60_000);
});
