// Put throughput with authentication on, as a ratio to the same cluster with it off, measured
// in one run: three `bvault server` processes on loopback, 64 clients putting 256-byte values
// to the leader over REST keep-alive connections. With auth on, the clients act as a user with
// a readwrite permission on the prefix they write, sending a simple token as
// `Authorization: Bearer`, so every put is checked at the API and again at apply. The rounds
// alternate off, on, off, on, ... (auth is switched with AuthEnable / AuthDisable in between)
// so that drift of a shared machine falls on both sides. Prints figures only. Usage:
//   npm run bench:auth [-- --puts 20000 --clients 64 --rounds 3]
import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { TestCluster, type ServerProcess } from '../test/cluster/cluster-harness.js';
import { etcdctlOk } from '../test/etcd-compat/etcdctl-runner.js';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got ${String(process.argv[index + 1])}`);
  return value;
}

const putsPerRound = option('puts', 20_000);
const clientCount = option('clients', 64);
const rounds = option('rounds', 3);
const VALUE_BYTES = 256;

const agent = new Agent({ keepAlive: true, maxSockets: clientCount });

function send(member: ServerProcess, method: string, path: string, body: string | Buffer, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ agent, host: '127.0.0.1', port: member.ports.http, method, path, headers: { 'content-length': Buffer.byteLength(body), ...headers } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      response.once('end', () => ((response.statusCode ?? 0) < 300 ? resolve(text) : reject(new Error(`${method} ${path} answered ${response.statusCode}: ${text}`))));
    });
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

async function tokenOf(member: ServerProcess, name: string, password: string): Promise<string> {
  const answer = await send(member, 'POST', '/api/v1/auth/authenticate', JSON.stringify({ name, password }), { 'content-type': 'application/json' });
  return (JSON.parse(answer) as { token: string }).token;
}

/** Puts per second of one round; `authorization` is undefined for the round without auth. */
async function round(leader: ServerProcess, label: string, authorization: string | undefined): Promise<number> {
  const value = randomBytes(VALUE_BYTES);
  const headers = { 'content-type': 'application/octet-stream', ...(authorization === undefined ? {} : { authorization }) };
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clientCount }, async () => {
      for (let index = next++; index < putsPerRound; index = next++) await send(leader, 'PUT', `/api/v1/keys/bench/${label}/${index}`, value, headers);
    }),
  );
  return putsPerRound / (Number(process.hrtime.bigint() - started) / 1e9);
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function main(): Promise<void> {
  console.log('starting a 3-member cluster on loopback...');
  const cluster = await TestCluster.start({ size: 3, prefix: 'auth-bench' });
  try {
    const leader = await cluster.leader();
    const endpoints = [leader];
    await etcdctlOk(endpoints, ['user', 'add', 'root:rootpw', '--interactive=false']);
    await etcdctlOk(endpoints, ['user', 'add', 'bench:benchpw', '--interactive=false']);
    await etcdctlOk(endpoints, ['role', 'add', 'bench']);
    await etcdctlOk(endpoints, ['role', 'grant-permission', 'bench', '--prefix=true', 'readwrite', 'bench/']);
    await etcdctlOk(endpoints, ['user', 'grant-role', 'bench', 'bench']);
    const off: number[] = [];
    const on: number[] = [];
    for (let index = 0; index < rounds; index++) {
      off.push(await round(leader, `off-${index}`, undefined));
      await etcdctlOk(endpoints, ['auth', 'enable']);
      on.push(await round(leader, `on-${index}`, `Bearer ${await tokenOf(leader, 'bench', 'benchpw')}`));
      await etcdctlOk(endpoints, ['--user', 'root:rootpw', 'auth', 'disable']);
      console.log(`round ${index + 1}/${rounds}: auth off ${Math.round(off[index] as number)} puts/s, auth on ${Math.round(on[index] as number)} puts/s`);
    }
    const ratio = median(on) / median(off);
    console.log(`${clientCount}-client put throughput (${putsPerRound} puts of ${VALUE_BYTES} B per round, median of ${rounds}): auth off ${Math.round(median(off))} puts/s, auth on ${Math.round(median(on))} puts/s, ratio ${ratio.toFixed(2)}`);
  } finally {
    agent.destroy();
    await cluster.destroy();
  }
}

await main();
