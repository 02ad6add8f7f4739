// npm run bench:cold-reads: how late each member's event loop runs while it serves reads of
// random keys out of many (1,000,000 by default) with a cold cache. Before each workload the
// cluster is stopped, the kernel's page cache dropped (when the process may: root writes
// /proc/sys/vm/drop_caches) and the cluster started again, so LevelDB's block cache and the
// page cache both start empty. The workloads read single keys and small ranges, serializable
// and linearizable, from many clients spread over all three members (the last workload with
// clients putting to the leader meanwhile). Prints, per workload,
// the load generator's figures and each member's event loop delay over the run (from its
// bvault_server_event_loop_delay_seconds, scraped right before and right after the run) and
// the leader changes it saw. Prints figures only.
//   npm run bench:cold-reads [-- --keys 1000000 --duration 20s --clients 64 --data-dir DIR --skip-build]
// BVAULT_SERVER_ENTRY=/path/to/other/dist/src/cli/main.js runs the members from another build.
import { parseArgs } from 'node:util';
import { parseDurationMs } from '../src/bench/bench-options.js';
import type { BenchResult } from '../src/bench/bench-result.js';
import { EVENT_LOOP_DELAY_METRIC, EVENT_LOOP_DELAY_QUANTILES } from '../src/observability/event-loop-delay.js';
import type { ServerProcess } from '../test/cluster/cluster-harness.js';
import { positive } from './bench-options.js';
import { BUILT_SERVER_ENTRY, buildDist } from './build-dist.js';
import { runBuiltBench } from './compare-workloads.js';
import { defaultClusterRoot, dropPageCache, KEY_BYTES, type LargeCluster, leaderOf, preparedCluster, startAll, stopAll, VALUE_BYTES } from './large-cluster.js';
import { sample, scrapeMetrics } from './member-metrics.js';

interface ReadWorkload {
  readonly name: string;
  readonly args: readonly string[];
  /**
   * Clients putting random keys to the leader meanwhile: reads now share libuv's thread pool
   * with the WAL's writes and fsyncs, and writes must not queue behind cold reads.
   */
  readonly writers?: number;
}

const WRITERS = 16;

const RANGE_KEYS = 10;
const WORKLOADS: readonly ReadWorkload[] = [
  { name: 'single key, serializable', args: ['--consistency', 's'] },
  { name: 'single key, linearizable', args: ['--consistency', 'l'] },
  { name: `${RANGE_KEYS} keys, serializable`, args: ['--consistency', 's', '--range-keys', String(RANGE_KEYS)] },
  { name: `${RANGE_KEYS} keys, linearizable`, args: ['--consistency', 'l', '--range-keys', String(RANGE_KEYS)] },
  { name: `single key, serializable, ${WRITERS} clients putting to the leader`, args: ['--consistency', 's'], writers: WRITERS },
];

interface MemberDelay {
  readonly member: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly leaderChanges: number;
}

function parseOptions(): { keys: number; durationMs: number; clients: number; dataDir: string; build: boolean } {
  const { values } = parseArgs({
    options: { keys: { type: 'string' }, duration: { type: 'string' }, clients: { type: 'string' }, 'data-dir': { type: 'string' }, 'skip-build': { type: 'boolean' } },
    strict: true,
  });
  const keys = positive(values.keys ?? '1000000', '--keys');
  return {
    keys,
    durationMs: parseDurationMs(values.duration ?? '20s', '--duration'),
    clients: positive(values.clients ?? '64', '--clients'),
    dataDir: values['data-dir'] ?? defaultClusterRoot(keys),
    build: values['skip-build'] !== true,
  };
}

const delaySeries = (quantile: string): string => `${EVENT_LOOP_DELAY_METRIC}{quantile="${quantile}"}`;
const LEADER_CHANGES = 'bvault_server_leader_changes_seen_total';

async function runWorkload(cluster: LargeCluster, workload: ReadWorkload, options: { durationMs: number; clients: number }): Promise<{ result: BenchResult; puts: BenchResult | undefined; delays: MemberDelay[] }> {
  const leader = await leaderOf(cluster.members);
  // Each scrape starts a new interval of the delay metric: the one after the run covers the run.
  const before = await Promise.all(cluster.members.map((member) => scrapeMetrics(member)));
  const endpoints = cluster.members.map((member) => member.grpcAddress).join(',');
  const keyArguments = ['--key-space', String(cluster.keys), '--key-size', String(KEY_BYTES)];
  const length = { durationMs: options.durationMs };
  const [result, puts] = await Promise.all([
    runBuiltBench(['range', ...workload.args, ...keyArguments, '--clients', String(options.clients), '--conns', '9', '--endpoints', endpoints], length),
    workload.writers === undefined ? undefined : runBuiltBench(['put', ...keyArguments, '--val-size', String(VALUE_BYTES), '--clients', String(workload.writers), '--conns', '2', '--endpoints', leader.grpcAddress], length),
  ]);
  const after = await Promise.all(cluster.members.map((member) => scrapeMetrics(member)));
  const delays = cluster.members.map((member: ServerProcess, index) => {
    const samples = after[index] as Map<string, number>;
    const milliseconds = (quantile: string): number => sample(samples, delaySeries(quantile)) * 1000;
    return {
      member: member.name,
      p50Ms: milliseconds(EVENT_LOOP_DELAY_QUANTILES.p50),
      p99Ms: milliseconds(EVENT_LOOP_DELAY_QUANTILES.p99),
      maxMs: milliseconds(EVENT_LOOP_DELAY_QUANTILES.max),
      leaderChanges: sample(samples, LEADER_CHANGES) - sample(before[index] as Map<string, number>, LEADER_CHANGES),
    };
  });
  return { result, puts, delays };
}

const fixed = (value: number): string => value.toFixed(1);

function row(workload: ReadWorkload, result: BenchResult, puts: BenchResult | undefined, delays: readonly MemberDelay[]): string {
  const delay = (pick: (member: MemberDelay) => number): string => delays.map((member) => fixed(pick(member))).join(' / ');
  const changes = delays.reduce((sum, member) => sum + member.leaderChanges, 0);
  const errors = result.failed === 0 ? '0' : `${result.failed} (${Object.entries(result.failedByCode).map(([code, count]) => `${code}: ${count}`).join(', ')})`;
  const putFigures = puts === undefined ? '–' : `${Math.round(puts.successful / puts.elapsedSeconds).toLocaleString('en-US')} / ${puts.latencyMs.p99.toFixed(2)} (${puts.failed} failed)`;
  return `| ${workload.name} | ${Math.round(result.successful / result.elapsedSeconds).toLocaleString('en-US')} | ${result.latencyMs.p50.toFixed(2)} | ${result.latencyMs.p99.toFixed(2)} | ${errors} | ${putFigures} | ${delay((member) => member.p50Ms)} | ${delay((member) => member.p99Ms)} | ${delay((member) => member.maxMs)} | ${changes} |`;
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options.build) buildDist('bench:cold-reads');
  // Another build may be measured against the same data by naming its entry.
  process.env.BVAULT_SERVER_ENTRY ??= BUILT_SERVER_ENTRY;
  const progress = (line: string): void => void process.stderr.write(`bench:cold-reads: ${line}\n`);
  const cluster = await preparedCluster(options.dataDir, options.keys, progress);
  const rows: string[] = [];
  let dropped = true;
  try {
    for (const workload of WORKLOADS) {
      await stopAll(cluster);
      dropped = (await dropPageCache()) && dropped;
      await startAll(cluster);
      progress(`${workload.name}: ${options.durationMs / 1000} s, ${options.clients} clients over the three members...`);
      const { result, puts, delays } = await runWorkload(cluster, workload, options);
      rows.push(row(workload, result, puts, delays));
      progress(rows[rows.length - 1] as string);
    }
  } finally {
    await stopAll(cluster);
  }
  console.log(`Reads of random keys out of ${options.keys.toLocaleString('en-US')} (keys of ${KEY_BYTES} B, values of ${VALUE_BYTES} B), ${options.clients} clients over 9 connections to the three members, ${options.durationMs / 1000} s per workload, each after a restart of every member${dropped ? ' and a drop of the page cache' : ' (the page cache could not be dropped: not root?)'}.`);
  console.log('Event loop delay per member (n1 / n2 / n3), over the run, in ms.\n');
  console.log('| reads | ops/s | p50 ms | p99 ms | errors | puts beside: ops/s / p99 ms | loop delay p50 | loop delay p99 | loop delay max | leader changes |');
  console.log('|---|---:|---:|---:|---:|---:|---|---|---|---:|');
  for (const line of rows) console.log(line);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:cold-reads: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
