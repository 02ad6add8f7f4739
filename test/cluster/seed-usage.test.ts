// The seeds' own usage, as written: seed 001 starts a node with
//   ./server -node-id node1 -http-port 8000 -raft-port 7000
// and adds another with
//   curl -X POST http://localhost:8000/api/v1/raft/join -d '{"NodeID": "node2", "RaftAddress": "localhost:7001"}'
// and seed 003 reads GET /api/v1/admin/metrics. The ports are free loopback ports instead of the
// seeds' fixed ones (parallel tests would collide on them), and each node gets its own gRPC
// port for the same reason; the flags, the body and the working-directory data are the seeds'.
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, request, ServerProcess, temporaryDirectory, waitFor } from './cluster-harness.js';

const run = promisify(execFile);
const nodes: ServerProcess[] = [];

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.kill()));
});

async function seedNode(name: string, workingDirectory: string, extraFlags: readonly string[] = []): Promise<ServerProcess> {
  const ports = { http: await freePort(), raft: await freePort(), grpc: await freePort() };
  const args = ['-node-id', name, '-http-port', String(ports.http), '-raft-port', String(ports.raft), '-grpc-port', String(ports.grpc), ...extraFlags];
  const node = new ServerProcess(name, ports, join(workingDirectory, 'data', name), args, { workingDirectory, argsAsGiven: true });
  nodes.push(node);
  node.start();
  return node;
}

describe("the seeds' usage", () => {
  it('starts a one-member cluster from single-dash flags, adds a waiting node with the seed\'s join call, and answers metrics as JSON', async () => {
    const workingDirectory = await temporaryDirectory('seed');
    const node1 = await seedNode('node1', workingDirectory);
    await node1.waitUntilReady();
    expect((await stat(node1.dataDir)).isDirectory()).toBe(true);
    expect((await request(node1.url, 'PUT', '/api/v1/keys/before-join', 'written by node1')).status).toBe(200);

    const node2 = await seedNode('node2', workingDirectory, ['-wait-for-join']);
    // Whether node2 listens yet or not: the member that serves the call invites it until it answers.
    const { stdout } = await run('curl', ['-s', '-X', 'POST', `http://localhost:${node1.ports.http}/api/v1/raft/join`, '-d', `{"NodeID": "node2", "RaftAddress": "localhost:${node2.ports.raft}"}`]);
    expect(JSON.parse(stdout).member.name, stdout).toBe('node2');

    await node2.waitUntilReady();
    await waitFor('node2 to catch up', 30_000, async () => {
      const answer = await request(node2.url, 'GET', '/api/v1/keys/before-join?consistency=serializable').catch(() => undefined);
      return answer?.text === 'written by node1' ? true : undefined;
    });
    await waitFor('node2 to be promoted to a voter', 30_000, async () => {
      const { members } = (await request(node1.url, 'GET', '/api/v1/cluster/members')).json as { members: Array<{ name: string; isLearner: boolean }> };
      return members.some((member) => member.name === 'node2' && !member.isLearner) ? true : undefined;
    });

    const metrics = await request(node1.url, 'GET', '/api/v1/admin/metrics');
    expect(metrics.status).toBe(200);
    const names = (metrics.json as { metrics: Array<{ name: string }> }).metrics.map((metric) => metric.name);
    expect(names).toContain('bvault_http_request_duration_seconds');

    // Restarted with the seed's plain line (no -wait-for-join), node2 returns to its cluster.
    await node2.terminate();
    node2.setArgs(['-node-id', 'node2', '-http-port', String(node2.ports.http), '-raft-port', String(node2.ports.raft), '-grpc-port', String(node2.ports.grpc)]);
    node2.start();
    await node2.waitUntilReady();
    expect((await request(node2.url, 'GET', '/api/v1/keys/before-join?consistency=serializable')).text).toBe('written by node1');
  }, 150_000);
});
