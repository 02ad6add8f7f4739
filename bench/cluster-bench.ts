// Cluster benchmark on loopback: starts three `bvault server` processes (as the cluster tests
// do), then prints single-client put latency (p50/p99), 64-client put throughput over HTTP
// keep-alive connections, and each member's resident memory (VmRSS) after loading the keys.
// Prints figures only. Usage:
//   npm run bench:cluster [-- --keys 1000000 --latency-puts 2000 --throughput-puts 50000 --clients 64]
// With --compare-with tls,auth,encryption,tracing (any of them, or all) it measures only put
// throughput, of a plain cluster and of one per security feature, all in one run, and prints
// each feature's throughput as a ratio to the plain cluster's (bench/security-comparison.ts):
//   npm run bench:cluster -- --compare-with all --rounds 5 --throughput-puts 10000
// The servers run from source through tsx (about 35 MiB more resident memory each); to measure
// the build instead: npm run build && BVAULT_SERVER_ENTRY=dist/src/cli/main.js npm run bench:cluster
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { SingleBar } from 'cli-progress';
import { TestCluster, type ServerProcess } from '../test/cluster/cluster-harness.js';
import { compareSecurityVariants } from './security-comparison.js';
import { SECURITY_VARIANT_NAMES, type SecurityVariantName } from './security-variants.js';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const keyCount = option('keys', 1_000_000);
const latencyPuts = option('latency-puts', 2_000);
const throughputPuts = option('throughput-puts', 50_000);
const clientCount = option('clients', 64);
const rounds = option('rounds', 3);
const compareWith = textOption('compare-with');

function textOption(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return undefined;
  const value = process.argv[index + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}
/** A batch put is one transaction, so it holds at most the default 128 operations. */
const LOAD_BATCH_KEYS = 128;
const LOAD_CONCURRENCY = 8;
const VALUE_BYTES = 256;

const agent = new Agent({ keepAlive: true, maxSockets: clientCount });

/** One request on a keep-alive connection; resolves with the status, rejects on anything but 2xx. */
function send(member: ServerProcess, method: string, path: string, body: string | Buffer, contentType = 'application/octet-stream'): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ agent, host: '127.0.0.1', port: member.ports.http, method, path, headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      response.once('end', () => ((response.statusCode ?? 0) < 300 ? resolve(response.statusCode ?? 0) : reject(new Error(`${method} ${path} answered ${response.statusCode}`))));
    });
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

function percentile(sortedMs: readonly number[], fraction: number): number {
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor(sortedMs.length * fraction))] as number;
}

async function measureLatency(leader: ServerProcess): Promise<void> {
  const value = randomBytes(VALUE_BYTES);
  const samplesMs: number[] = [];
  for (let index = 0; index < latencyPuts; index++) {
    const started = process.hrtime.bigint();
    await send(leader, 'PUT', `/api/v1/keys/latency/${index}`, value);
    samplesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samplesMs.sort((a, b) => a - b);
  console.log(`single-client put latency (${latencyPuts} puts of ${VALUE_BYTES} B to the leader): p50 ${percentile(samplesMs, 0.5).toFixed(2)} ms, p99 ${percentile(samplesMs, 0.99).toFixed(2)} ms`);
}

async function measureThroughput(leader: ServerProcess): Promise<number> {
  const value = randomBytes(VALUE_BYTES);
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: clientCount }, async () => {
      for (let index = next++; index < throughputPuts; index = next++) await send(leader, 'PUT', `/api/v1/keys/throughput/${index}`, value);
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  const putsPerSecond = throughputPuts / seconds;
  console.log(`${clientCount}-client put throughput (${throughputPuts} puts of ${VALUE_BYTES} B to the leader): ${Math.round(putsPerSecond).toLocaleString('en-US')} puts/s`);
  return putsPerSecond;
}

/** Loads the keys with batch puts (one transaction of 128 keys each) from a few clients, with a progress bar. */
async function loadKeys(leader: ServerProcess): Promise<void> {
  const value = randomBytes(VALUE_BYTES / 2).toString('hex');
  const batches = Math.ceil(keyCount / LOAD_BATCH_KEYS);
  // Outside a terminal the bar is printed as a line every few seconds instead of redrawn.
  const bar = new SingleBar({ format: 'loading keys [{bar}] {percentage}% {value}/{total} batches, eta {eta}s', noTTYOutput: true, notTTYSchedule: 5_000 });
  bar.start(batches, 0);
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: LOAD_CONCURRENCY }, async () => {
      for (let batch = next++; batch < batches; batch = next++) {
        const first = batch * LOAD_BATCH_KEYS;
        const items = Array.from({ length: Math.min(LOAD_BATCH_KEYS, keyCount - first) }, (_unused, offset) => ({ key: `load/${(first + offset).toString().padStart(10, '0')}`, value }));
        await send(leader, 'POST', '/api/v1/batch/put', JSON.stringify({ items }), 'application/json');
        bar.increment();
      }
    }),
  );
  bar.stop();
  console.log(`loaded ${keyCount.toLocaleString('en-US')} keys of ${VALUE_BYTES} B in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function residentMemory(member: ServerProcess): Promise<string> {
  const status = await readFile(`/proc/${member.pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  return `${(kib / 1024).toFixed(1)} MiB`;
}

async function main(): Promise<void> {
  console.log(`starting a 3-member cluster on loopback (servers from ${process.env.BVAULT_SERVER_ENTRY ?? 'source, through tsx'})...`);
  const cluster = await TestCluster.start({ size: 3, prefix: 'bench' });
  try {
    const leader = await cluster.leader();
    console.log(`leader: ${leader.name}`);
    await measureLatency(leader);
    await measureThroughput(leader);
    await loadKeys(leader);
    // Let followers apply the tail of the load before measuring them.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const member of cluster.members) console.log(`resident memory of ${member.name}${member === leader ? ' (leader)' : ''}: ${await residentMemory(member)}`);
  } finally {
    agent.destroy();
    await cluster.destroy();
  }
}

/** The variants --compare-with names: a comma-separated list of them, or `all`. */
function variantsOf(text: string): SecurityVariantName[] {
  if (text === 'all') return [...SECURITY_VARIANT_NAMES];
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(SECURITY_VARIANT_NAMES as readonly string[]).includes(name)) throw new Error(`--compare-with: ${JSON.stringify(name)} is not a variant; give all or any of ${SECURITY_VARIANT_NAMES.join(',')}`);
  }
  if (new Set(names).size !== names.length) throw new Error(`--compare-with names a variant twice: ${JSON.stringify(text)}`);
  return names as SecurityVariantName[];
}

if (compareWith === undefined) await main();
else await compareSecurityVariants({ variants: variantsOf(compareWith), rounds, putsPerRound: throughputPuts, clients: clientCount });
