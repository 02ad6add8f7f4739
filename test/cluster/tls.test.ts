// TLS against real processes: a three-member cluster with TLS and client-cert-auth on the client
// port and mutual TLS on the peer port, used by the real etcdctl 3.4, the REST API and etcd's
// JSON gateway over HTTPS and the bvault CLI; what each refuses without a client certificate;
// and a member whose peer certificate comes from another CA, which the others never let in.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientTlsMaterial } from '../../src/tls/index.js';
import { etcdctl } from '../etcd-compat/etcdctl-runner.js';
import { servedSerialNumber } from './tls-handshakes.js';
import { TestCertificates, tlsServerArgs, type CertificateFiles } from '../support/test-certificates.js';
import { agreedLeader, freePort, REPOSITORY_ROOT, request, ServerProcess, sleep, TestCluster, temporaryDirectory, waitFor, type ServerPorts } from './cluster-harness.js';

let directory: string;
let certificates: TestCertificates;
let client: CertificateFiles;
let clientTls: Required<ClientTlsMaterial>;
let cluster: TestCluster | undefined;
let serverArgs: string[];

beforeAll(async () => {
  directory = await temporaryDirectory('tls-certs');
  certificates = await TestCertificates.create(directory);
  const [server, peer] = [await certificates.issue('server'), await certificates.issue('peer')];
  client = await certificates.issue('client');
  clientTls = await certificates.clientMaterial(client);
  serverArgs = tlsServerArgs(certificates.caFile, server, peer);
  cluster = await TestCluster.start({ size: 3, prefix: 'tls', extraArgs: serverArgs, memberOptions: () => ({ clientTls }) });
});

afterAll(async () => {
  await cluster?.destroy();
});

function running(): TestCluster {
  if (cluster === undefined) throw new Error('the cluster did not start');
  return cluster;
}

const withClientCertificate = (): string[] => ['--cacert', certificates.caFile, '--cert', client.certFile, '--key', client.keyFile];

/** `npm run bvault`'s entry, run directly: a client command against the cluster. */
function bvault(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPOSITORY_ROOT, 'src/cli/main.ts'), ...args], { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('a cluster with TLS on every port', () => {
  it('serves etcdctl 3.4 with --cacert --cert --key, and refuses it without a client certificate', async () => {
    const members = running().members;
    const put = await etcdctl(members, [...withClientCertificate(), 'put', 'tls/hello', 'world']);
    expect(put.code, put.stderr).toBe(0);
    const get = await etcdctl(members.slice(2), [...withClientCertificate(), 'get', 'tls/hello', '--print-value-only']);
    expect(get.stdout.trim(), get.stderr).toBe('world');
    const refused = await etcdctl(members.slice(0, 1), ['--cacert', certificates.caFile, '--dial-timeout=2s', '--command-timeout=3s', 'get', 'tls/hello']);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).not.toContain('world');
  });

  it('serves etcd\'s JSON gateway over HTTPS, whose calls reach the gRPC API that asks for a client certificate', async () => {
    const [first, second] = running().members as [ServerProcess, ServerProcess];
    const curl = (url: string, body: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const child = spawn('curl', ['-sS', '--max-time', '10', ...withClientCertificate(), url, '-X', 'POST', '-d', body], { stdio: ['ignore', 'pipe', 'inherit'] });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
        child.once('error', reject);
        child.once('close', () => resolve(output));
      });
    const key = Buffer.from('tls/gateway').toString('base64');
    const put = JSON.parse(await curl(`${first.url}/v3/kv/put`, `{"key": "${key}", "value": "${Buffer.from('json').toString('base64')}"}`)) as { header?: unknown };
    expect(put.header).toBeDefined();
    const range = JSON.parse(await curl(`${second.url}/v3/kv/range`, `{"key": "${key}"}`)) as { kvs?: { value: string }[] };
    expect(range.kvs?.[0]?.value).toBe(Buffer.from('json').toString('base64'));
  });

  it('serves REST over HTTPS to a client with a certificate and refuses one without at the handshake', async () => {
    const [first, , third] = running().members as [ServerProcess, ServerProcess, ServerProcess];
    expect((await first.request('PUT', '/api/v1/keys/tls-rest', 'over https')).status).toBe(200);
    const answer = await waitFor('the value on another member', 10_000, async () => {
      const read = await third.request('GET', '/api/v1/keys/tls-rest');
      return read.status === 200 ? read : undefined;
    });
    expect(answer.text).toContain('over https');
    await expect(request(first.url, 'GET', '/readyz', undefined, {}, { ca: clientTls.ca })).rejects.toThrow(/certificate|handshake|socket hang up|ECONNRESET/i);
    // Plain HTTP on the HTTPS port gets no answer a client could mistake for one.
    await expect(request(first.url.replace('https:', 'http:'), 'GET', '/readyz')).rejects.toThrow();
  });

  it('serves the bvault CLI over https:// endpoints with --cacert --cert --key', async () => {
    const endpoints = running().members.map((member) => `https://${member.grpcAddress}`).join(',');
    const put = await bvault(['put', 'tls/cli', 'from-cli', '--endpoints', endpoints, ...withClientCertificate()]);
    expect(put.code, put.output).toBe(0);
    const get = await bvault(['get', 'tls/cli', '--endpoints', endpoints, ...withClientCertificate(), '-w', 'json']);
    expect(get.code, get.output).toBe(0);
    expect(get.output).toContain('from-cli');
    const unreadable = await bvault(['get', 'tls/cli', '--endpoints', endpoints, '--cacert', join(directory, 'missing.crt')]);
    expect(unreadable.code).not.toBe(0);
    expect(unreadable.output).toMatch(/--cacert .*missing\.crt cannot be read/);
  });

  it('is loaded by bvault bench with --cacert --cert --key, as etcd\'s benchmark does', async () => {
    const result = await bvault(['bench', 'put', '--endpoints', running().members[0]!.grpcAddress, '--total', '50', '--clients', '4', ...withClientCertificate()]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/50 succeeded/);
    expect(result.output).toMatch(/errors +0/);
  });

  it('names its HTTPS port when the CLI dials it as a gRPC port', async () => {
    const first = running().members[0]!;
    const result = await bvault(['get', 'x', '--endpoints', `https://127.0.0.1:${first.ports.http}`, ...withClientCertificate(), '--timeout-ms', '5000']);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(new RegExp(`is an HTTP port .*the gRPC port is 127\\.0\\.0\\.1:${first.ports.grpc}`));
  });

  it('adds a member that joins through https:// and catches up over mutual TLS', async () => {
    const first = running().members[0]!;
    const joined = await running().addJoiningMember('n4', first, { clientTls });
    await joined.waitUntilReady();
    const answer = await waitFor('n4 to serve the key written before it joined', 20_000, async () => {
      const read = await joined.request('GET', '/api/v1/keys/tls-rest?consistency=serializable');
      return read.status === 200 ? read : undefined;
    });
    expect(answer.text).toContain('over https');
    const members = await first.request('GET', '/api/v1/cluster/members');
    expect(members.text).toContain(`https://127.0.0.1:${joined.ports.http}`);
  });

  it('invites a member waiting on its peer port (wait-for-join) over mutual TLS', async () => {
    const first = running().members[0]!;
    const ports = { http: await freePort(), raft: await freePort(), grpc: await freePort() };
    const waiting = new ServerProcess('n5', ports, join(running().root, 'n5'), ['--wait-for-join', ...serverArgs], { clientTls });
    running().members.push(waiting);
    waiting.start();
    const answer = await first.request('POST', '/api/v1/raft/join', { NodeID: 'n5', RaftAddress: `127.0.0.1:${ports.raft}` });
    expect(answer.status, answer.text).toBe(200);
    await waiting.waitUntilReady();
    await waitFor('n5 to serve the key written before it joined', 20_000, async () => {
      const read = await waiting.request('GET', '/api/v1/keys/tls-rest?consistency=serializable');
      return read.status === 200 && read.text.includes('over https') ? true : undefined;
    });
  });

  it('presents the certificate of its files on the gRPC, REST and peer ports', async () => {
    const first = running().members[0]!;
    const served = await Promise.all([first.ports.grpc, first.ports.http].map((port) => servedSerialNumber(port, clientTls, 'h2')));
    expect(new Set(served).size).toBe(1);
    const peerSerial = await servedSerialNumber(first.ports.raft, clientTls, 'h2');
    expect(peerSerial).not.toBe(served[0]);
  });
});

describe('a member whose peer certificate comes from another CA', () => {
  it('never joins: the others refuse it and it refuses them, and the logs say why', async () => {
    const root = await temporaryDirectory('tls-wrong-ca');
    const good = await TestCertificates.create(root, 'good-ca');
    const other = await TestCertificates.create(root, 'other-ca');
    const [server, peer, strangerPeer] = [await good.issue('server'), await good.issue('peer'), await other.issue('stranger-peer')];
    const goodClient = await good.clientMaterial(await good.issue('client'));
    const names = ['n1', 'n2', 'n3'];
    const ports: ServerPorts[] = [];
    for (const _name of names) ports.push({ http: await freePort(), raft: await freePort(), grpc: await freePort() });
    const initialCluster = names.map((name, index) => `${name}=127.0.0.1:${ports[index]!.raft}`).join(',');
    // n3's peer certificate and the CA it trusts for peers are the other CA's; it is consistent
    // with itself, so it starts, but no member of the good CA accepts it, nor it them.
    const members = names.map((name, index) => {
      const peerArgs = name === 'n3' ? tlsServerArgs(good.caFile, server, strangerPeer, other.caFile) : tlsServerArgs(good.caFile, server, peer);
      return new ServerProcess(name, ports[index]!, join(root, name), ['--initial-cluster', initialCluster, ...peerArgs], { clientTls: goodClient });
    });
    try {
      for (const member of members) member.start();
      const [n1, n2, n3] = members as [ServerProcess, ServerProcess, ServerProcess];
      await Promise.all([n1.waitUntilReady(), n2.waitUntilReady()]);
      const leader = await waitFor('a leader n1 and n2 agree on', 15_000, () => agreedLeader([n1, n2]));
      expect(['n1', 'n2']).toContain(leader.name);
      // Several election timeouts (1 s each) later the stranger still has no leader.
      await sleep(3_000);
      expect(n3.running, n3.log).toBe(true);
      expect((await n3.status()).leaderId).toBe(0);
      // Each side says the handshake failed, with Node's reason. The stranger's reason is a
      // certificate it does not trust; the leader's is that, or the stranger refusing the
      // leader's certificate (an alert, or the connection closed mid-handshake), whichever side
      // aborts first; it is logged once, the first time. The leader is the side to ask: it sends
      // the stranger heartbeats every tick and so keeps dialling it, while a follower sends it
      // nothing once the election is over, and its dials then may all have come before the
      // stranger listened. A member redials a peer with a growing back-off, so the first dial
      // that reaches the other's TLS may come a few seconds after it started listening.
      const leaderRefusal = new RegExp(`"address":"127\\.0\\.0\\.1:${ports[2]!.raft}".*TLS handshake with the peer failed`);
      await waitFor('both sides to log the failed handshake', 20_000, () => (/self-signed certificate in certificate chain.*TLS handshake with the peer failed/.test(n3.log) && leaderRefusal.test(leader.log)) || undefined)
        .catch((error: unknown) => {
          throw new Error(`${(error as Error).message}\n--- ${leader.name} (leader) ---\n${leader.log}\n--- n3 ---\n${n3.log}`);
        });
      expect((await leader.request('PUT', '/api/v1/keys/without-n3', 'committed by two')).status).toBe(200);
    } finally {
      await Promise.all(members.map((member) => member.kill()));
    }
  });
});
