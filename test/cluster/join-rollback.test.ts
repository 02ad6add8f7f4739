// A node that joins a running cluster and then cannot start (its gRPC port is taken) takes its
// join back: the cluster does not keep a learner that never runs, and the same command runs
// again once the port is free.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';
import { freePort, request, ServerProcess, TestCluster } from './cluster-harness.js';

let cluster: TestCluster | undefined;
let joining: ServerProcess | undefined;

afterAll(async () => {
  await joining?.kill();
  await cluster?.destroy();
});

async function memberNames(url: string): Promise<string[]> {
  const { members } = (await request(url, 'GET', '/api/v1/cluster/members')).json as { members: Array<{ name: string }> };
  return members.map((member) => member.name).sort();
}

async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe('a join that fails after the member was added', () => {
  it('removes the member again and leaves no data behind, so the same command can be run again', async () => {
    cluster = await TestCluster.start({ size: 1, prefix: 'join-rollback' });
    const seed = cluster.member('n1');
    const ports = { http: await freePort(), raft: await freePort(), grpc: await freePort() };
    const taken = await occupy(ports.grpc);
    joining = new ServerProcess('n2', ports, join(cluster.root, 'n2'), ['--join', seed.url]);
    joining.start();
    const exit = await joining.exited(60_000);
    expect(exit.code, joining.log).toBe(EXIT_CODES.portUnavailable);
    expect(joining.log).toContain('removed this member from the cluster again');
    expect(existsSync(joining.dataDir)).toBe(false);
    expect(await memberNames(seed.url)).toEqual(['n1']);

    await new Promise((resolve) => taken.close(resolve));
    joining.start();
    await joining.waitUntilReady(60_000);
    expect(await memberNames(seed.url)).toEqual(['n1', 'n2']);
  }, 150_000);
});
