// `npm run bench:cluster -- --tls`: put throughput with TLS as a ratio to the plain server,
// measured in one run. Two three-member clusters run side by side, one plain and one with TLS
// on every port (client-cert-auth on the client port, mutual TLS between peers, as
// `bvault dev --tls` sets them up); rounds alternate between them so a machine shared with
// other work slows both alike, and the median round of each is compared. Each round is REST
// puts over keep-alive connections (HTTPS for TLS) and gRPC puts through `bvault bench`'s
// load generator (etcd's Put, TLS channels for TLS).

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { parseBenchOptions } from '../src/bench/bench-options.js';
import { runBench } from '../src/bench/run-bench.js';
import { serverTlsArgs, writeDevCertificates, type DevCertificateFiles } from '../src/cli/dev-certificates.js';
import { TestCluster, temporaryDirectory, type ServerProcess } from '../test/cluster/cluster-harness.js';

const VALUE_BYTES = 256;
const GRPC_CONNS = 8;

export interface TlsComparisonOptions {
  readonly rounds: number;
  readonly puts: number;
  readonly clients: number;
}

interface Variant {
  readonly name: 'plain' | 'tls';
  readonly leader: ServerProcess;
  readonly send: (path: string, body: Buffer) => Promise<void>;
  /** `bvault bench` flags for this variant's TLS. */
  readonly benchTlsArgs: readonly string[];
  readonly restPutsPerSecond: number[];
  readonly grpcPutsPerSecond: number[];
}

export async function compareTls(options: TlsComparisonOptions): Promise<void> {
  const certificates = await writeDevCertificates(join(await temporaryDirectory('bench-tls'), 'tls'));
  const clientTls = { ca: await readFile(certificates.ca), cert: await readFile(certificates.clientCert), key: await readFile(certificates.clientKey) };
  console.log(`starting a plain and a TLS 3-member cluster on loopback (servers from ${process.env.BVAULT_SERVER_ENTRY ?? 'source, through tsx'})...`);
  const plainCluster = await TestCluster.start({ size: 3, prefix: 'bench-plain' });
  const tlsCluster = await TestCluster.start({ size: 3, prefix: 'bench-tls', extraArgs: serverTlsArgs(certificates), memberOptions: () => ({ clientTls }) });
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: options.clients });
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: options.clients, ...clientTls });
  try {
    const plain = variant('plain', await plainCluster.leader(), (leader, path, body) => sendOver(httpRequest, httpAgent, leader, path, body), []);
    const tls = variant('tls', await tlsCluster.leader(), (leader, path, body) => sendOver(httpsRequest, httpsAgent, leader, path, body), benchTlsArgsOf(certificates));
    for (let round = 1; round <= options.rounds; round++) {
      for (const measured of round % 2 === 1 ? [plain, tls] : [tls, plain]) {
        measured.restPutsPerSecond.push(await restThroughput(measured, options, round));
        measured.grpcPutsPerSecond.push(await grpcThroughput(measured, options, round));
        console.log(`round ${round} ${measured.name.padEnd(5)}: REST ${format(measured.restPutsPerSecond.at(-1) as number)} puts/s, gRPC ${format(measured.grpcPutsPerSecond.at(-1) as number)} puts/s`);
      }
    }
    report('REST', plain.restPutsPerSecond, tls.restPutsPerSecond, options);
    report('gRPC', plain.grpcPutsPerSecond, tls.grpcPutsPerSecond, options);
  } finally {
    httpAgent.destroy();
    httpsAgent.destroy();
    await Promise.all([plainCluster.destroy(), tlsCluster.destroy()]);
  }
}

function variant(name: Variant['name'], leader: ServerProcess, send: (leader: ServerProcess, path: string, body: Buffer) => Promise<void>, benchTlsArgs: readonly string[]): Variant {
  return { name, leader, send: (path, body) => send(leader, path, body), benchTlsArgs, restPutsPerSecond: [], grpcPutsPerSecond: [] };
}

function benchTlsArgsOf(certificates: DevCertificateFiles): string[] {
  return ['--cacert', certificates.ca, '--cert', certificates.clientCert, '--key', certificates.clientKey];
}

/** One PUT on a keep-alive connection; rejects on anything but 2xx. */
function sendOver(request: typeof httpRequest | typeof httpsRequest, agent: HttpAgent, leader: ServerProcess, path: string, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ agent, host: '127.0.0.1', port: leader.ports.http, method: 'PUT', path, headers: { 'content-type': 'application/octet-stream', 'content-length': body.length } }, (response) => {
      response.resume();
      response.once('end', () => ((response.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`PUT ${path} answered ${response.statusCode}`))));
    });
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

async function restThroughput(measured: Variant, options: TlsComparisonOptions, round: number): Promise<number> {
  const value = randomBytes(VALUE_BYTES);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      for (let index = next++; index < options.puts; index = next++) await measured.send(`/api/v1/keys/rest-${round}-${index}`, value);
    }),
  );
  return options.puts / ((performance.now() - started) / 1000);
}

async function grpcThroughput(measured: Variant, options: TlsComparisonOptions, round: number): Promise<number> {
  const benchOptions = parseBenchOptions([
    'put', '--endpoints', measured.leader.grpcAddress, '--conns', String(GRPC_CONNS), '--clients', String(options.clients),
    '--total', String(options.puts), '--val-size', String(VALUE_BYTES), '--key-space', String(options.puts * (round + 1)),
    ...measured.benchTlsArgs,
  ]);
  if (benchOptions === undefined) throw new Error('bench options were not parsed');
  const result = await runBench(benchOptions);
  if (result.failed > 0) throw new Error(`${result.failed} gRPC puts failed on the ${measured.name} cluster: ${JSON.stringify(result.failedByCode)}`);
  return result.throughputPerSecond;
}

/**
 * The ratio of the medians, and the median of each round's own ratio: on a machine whose load
 * drifts between rounds, the paired one compares runs made seconds apart.
 */
function report(api: string, plainPutsPerSecond: readonly number[], tlsPutsPerSecond: readonly number[], options: TlsComparisonOptions): void {
  const [plain, tls] = [median(plainPutsPerSecond), median(tlsPutsPerSecond)];
  const paired = median(tlsPutsPerSecond.map((value, round) => value / (plainPutsPerSecond[round] as number)));
  console.log(
    `${api} put throughput (${options.clients} clients, ${options.puts} puts of ${VALUE_BYTES} B to the leader, median of ${options.rounds} rounds): ` +
      `plain ${format(plain)} puts/s, TLS ${format(tls)} puts/s, TLS/plain ${(tls / plain).toFixed(2)} (median of each round's ratio ${paired.toFixed(2)})`,
  );
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function format(perSecond: number): string {
  return Math.round(perSecond).toLocaleString('en-US');
}
