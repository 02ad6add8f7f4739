// A server that cannot start says why in one line on stderr and exits with a code that tells
// a supervisor what kind of failure it was (src/cli/exit-codes.ts).
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';
import { freePort, ServerProcess, temporaryDirectory } from './cluster-harness.js';

const listeners: Array<{ close(): unknown }> = [];
const started: ServerProcess[] = [];

afterAll(async () => {
  await Promise.all(started.map((member) => member.kill()));
  for (const listener of listeners) listener.close();
});

async function member(prefix: string, args: (raftPort: number) => readonly string[], ports?: { http: number; raft: number }): Promise<ServerProcess> {
  const root = await temporaryDirectory(prefix);
  const raft = ports?.raft ?? (await freePort());
  const server = new ServerProcess('n1', { http: ports?.http ?? (await freePort()), raft, grpc: await freePort() }, join(root, 'n1'), args(raft));
  started.push(server);
  return server;
}

async function occupy(port: number): Promise<void> {
  const listener = createTcpServer();
  listeners.push(listener);
  await new Promise<void>((resolve) => listener.listen(port, '127.0.0.1', resolve));
}

describe('a server that cannot start', () => {
  it('lists every configuration problem and exits with 2', async () => {
    const server = await member('bad-config', () => ['--initial-cluster', 'n2=127.0.0.1:1', '--election-ticks', '1', '--tick-ms', 'fast']);
    server.start();
    expect((await server.exited(30_000)).code, server.log).toBe(EXIT_CODES.usage);
    expect(server.log).toMatch(/invalid configuration \(3 problems\)/);
    expect(server.log).toMatch(/node-id n1 is not a member of initial-cluster \(n2\)/);
    expect(server.log).toMatch(/tick-ms \(from --tick-ms\) must be an integer, got "fast"/);
    expect(server.log).toMatch(/election-ticks \(from --election-ticks\) must be between 2 and 10000, got "1"/);
  }, 40_000);

  it('names a bad BVAULT_FAILPOINTS setting and exits with 2', async () => {
    const server = await member('bad-failpoints', (raft) => ['--initial-cluster', `n1=127.0.0.1:${raft}`]);
    // The child copies the environment when it is spawned.
    process.env.BVAULT_FAILPOINTS = 'wal-write=sleep(soon)';
    try {
      server.start();
    } finally {
      delete process.env.BVAULT_FAILPOINTS;
    }
    expect((await server.exited(30_000)).code, server.log).toBe(EXIT_CODES.usage);
    expect(server.log).toMatch(/BVAULT_FAILPOINTS: failpoint wal-write: "sleep\(soon\)" is not a failpoint action; use off or sleep\(milliseconds\)/);
  }, 40_000);

  it('whose HTTP port is taken says so and exits with 4', async () => {
    const http = await freePort();
    await occupy(http);
    const server = await member('http-port', (raft) => ['--initial-cluster', `n1=127.0.0.1:${raft}`], { http, raft: await freePort() });
    server.start();
    expect((await server.exited(30_000)).code, server.log).toBe(EXIT_CODES.portUnavailable);
    expect(server.log).toMatch(new RegExp(`n1 cannot start: a listening port is unavailable .*EADDRINUSE.*${http}`));
    // The one line only: no JSON fatal line with a stack trace beside it.
    expect(server.log.trim().split('\n'), server.log).toHaveLength(1);
  }, 40_000);

  it('whose peer port is taken says so and exits with 4', async () => {
    const raft = await freePort();
    await occupy(raft);
    const server = await member('raft-port', () => ['--initial-cluster', `n1=127.0.0.1:${raft}`], { http: await freePort(), raft });
    server.start();
    expect((await server.exited(30_000)).code, server.log).toBe(EXIT_CODES.portUnavailable);
    expect(server.log).toMatch(/n1 cannot start: a listening port is unavailable/);
  }, 40_000);

  it('refused by the member named in --join says why and exits with 5', async () => {
    const refusing: Server = createServer((_request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'RAFT_INVALID_CONF_CHANGE', message: 'the member exists already' } }));
    });
    listeners.push(refusing);
    const port = await freePort();
    await new Promise<void>((resolve) => refusing.listen(port, '127.0.0.1', resolve));
    const server = await member('join-refused', () => ['--join', `http://127.0.0.1:${port}`]);
    server.start();
    expect((await server.exited(30_000)).code, server.log).toBe(EXIT_CODES.joinFailed);
    expect(server.log).toMatch(/n1 cannot start: http:\/\/127\.0\.0\.1:\d+ refused to add n1: 400 RAFT_INVALID_CONF_CHANGE the member exists already/);
  }, 40_000);
});
