// npm run bench:profile: where Beaver-Vault's CPU goes under one of bench:compare's workloads.
// Three members built in dist/ run under V8's sampling profiler (node --cpu-prof); 10,000 keys
// of 256 B are loaded so that reads find values; the workload runs with the built `bvault
// bench`; the members stop with SIGTERM, so each writes its profile. For each member it prints
// the process's CPU time per operation (from /proc), split into its main thread's and the
// other threads' (V8's garbage collector and compiler helpers; libuv's pool, which does the
// file writes, fsyncs and LevelDB batch writes; LevelDB's compaction), how many Raft rounds an
// operation cost it (WAL syncs and apply batches, from its /metrics), and the main thread's
// busy time per operation by component, all over the workload's run only.
//   npm run bench:profile -- [--workload put-64] [--duration 10s] [--keep DIR] [--skip-build]
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchUsageError, parseDurationMs } from '../src/bench/bench-options.js';
import { BUILT_SERVER_ENTRY, buildDist } from './build-dist.js';
import { leaderOf, mainThreadCpuMs, processCpuMs, startBeaverVault } from './compare-clusters.js';
import { COMPARED_WORKLOADS, runComparedWorkload } from './compare-workloads.js';
import { type CpuProfile, summarizeProfile, type TimeWindow } from './cpu-profile-summary.js';
import { loadSequentialKeys } from './memory-and-restart.js';
import { sample, scrapeMetrics } from './member-metrics.js';

/** A Ready made durable (one WAL write and fsync) and a batch of committed entries applied. */
const WAL_SYNCS = 'bvault_disk_wal_fsync_duration_seconds_count';
const APPLY_BATCHES = 'bvault_server_apply_duration_seconds_count';

const PRELOADED_KEYS = 10_000;
/** Components below this share of a member's busy time are summed into one line. */
const SHOWN_SHARE_MIN = 0.01;

async function main(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { workload: { type: 'string' }, duration: { type: 'string' }, keep: { type: 'string' }, 'skip-build': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  const usage = `Usage: npm run bench:profile -- [--workload ${COMPARED_WORKLOADS.map((workload) => workload.id).join('|')}] [--duration 10s] [--keep DIR] [--skip-build]`;
  if (values.help === true) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const workload = COMPARED_WORKLOADS.find((candidate) => candidate.id === (values.workload ?? 'put-64'));
  if (workload === undefined) throw new BenchUsageError(`unknown --workload ${JSON.stringify(values.workload)}\n${usage}`);
  const durationMs = parseDurationMs(values.duration ?? '10s', '--duration');
  if (values['skip-build'] !== true) buildDist('bench:profile');
  process.env.BVAULT_SERVER_ENTRY ??= BUILT_SERVER_ENTRY;

  const profileRoot = values.keep === undefined ? join(tmpdir(), `bvault-profile-${process.pid}`) : resolve(values.keep);
  await mkdir(profileRoot, { recursive: true });
  const cluster = await startBeaverVault((name) => ({ nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${join(profileRoot, name)}`] }));
  try {
    const leader = await leaderOf(cluster);
    await loadSequentialKeys(cluster, leader, PRELOADED_KEYS);
    // The members' /metrics, on their plaintext gRPC ports beside gRPC.
    const metricsOf = () => Promise.all(cluster.members.map((member) => scrapeMetrics({ name: member.name, url: `http://${member.grpcAddress}` })));
    const metricsBefore = await metricsOf();
    const cpuBefore = await Promise.all(cluster.members.map((member) => memberCpu(member.pid)));
    const window = { fromUs: monotonicMicroseconds(), toUs: 0 };
    const result = await runComparedWorkload(cluster, workload, { durationMs });
    const measured: TimeWindow = { ...window, toUs: monotonicMicroseconds() };
    const cpuAfter = await Promise.all(cluster.members.map((member) => memberCpu(member.pid)));
    const metricsAfter = await metricsOf();
    await cluster.stop();

    const operations = result.successful;
    const perOperation = (milliseconds: number): string => `${Math.round((milliseconds * 1_000) / operations).toLocaleString('en-US')} µs`;
    process.stdout.write(
      `${workload.name} against Beaver-Vault: ${operations.toLocaleString('en-US')} operations in ${result.elapsedSeconds.toFixed(1)} s ` +
        `(${Math.round(result.throughputPerSecond).toLocaleString('en-US')}/s, p99 ${result.latencyMs.p99.toFixed(2)} ms, ${result.failed} failed); ` +
        `the members' CPU per operation ${perOperation(result.serverCpuMs)}\n`,
    );
    for (const [index, member] of cluster.members.entries()) {
      const summary = summarizeProfile(await readMainThreadProfile(join(profileRoot, member.name)), measured);
      const before = cpuBefore[index] as MemberCpu;
      const after = cpuAfter[index] as MemberCpu;
      const processMs = after.processMs - before.processMs;
      const mainMs = after.mainMs - before.mainMs;
      const rounds = (series: string): string => ((sample(metricsAfter[index] as Map<string, number>, series) - sample(metricsBefore[index] as Map<string, number>, series)) / operations).toFixed(3);
      process.stdout.write(
        `\n${member.name}${member === leader ? ' (leader)' : ''}: process CPU ${perOperation(processMs)} per operation: ` +
          `main thread ${perOperation(mainMs)}, other threads ${perOperation(processMs - mainMs)}\n` +
          `  Raft rounds per operation: ${rounds(WAL_SYNCS)} WAL syncs, ${rounds(APPLY_BATCHES)} apply batches\n` +
          `  main thread not idle in the profile ${perOperation(summary.busyMs)} (wall time: beyond its CPU, the time it waited for a core)\n`,
      );
      let rest = 0;
      for (const { component, milliseconds } of summary.components) {
        if (milliseconds < summary.busyMs * SHOWN_SHARE_MIN) rest += milliseconds;
        else process.stdout.write(`  ${component.padEnd(34)} ${perOperation(milliseconds).padStart(9)}  ${share(milliseconds, summary.busyMs)}\n`);
      }
      if (rest > 0) process.stdout.write(`  ${'(each under 1%)'.padEnd(34)} ${perOperation(rest).padStart(9)}  ${share(rest, summary.busyMs)}\n`);
    }
    if (values.keep !== undefined) process.stdout.write(`\nprofiles kept in ${profileRoot} (open them in Chrome DevTools' Performance panel)\n`);
    return 0;
  } finally {
    await cluster.destroy();
    if (values.keep === undefined) await rm(profileRoot, { recursive: true, force: true });
  }
}

interface MemberCpu {
  readonly processMs: number;
  readonly mainMs: number;
}

async function memberCpu(pid: number | undefined): Promise<MemberCpu> {
  const [processMs, mainMs] = await Promise.all([processCpuMs(pid), mainThreadCpuMs(pid)]);
  return { processMs, mainMs };
}

/** process.hrtime's clock in µs: on Linux the monotonic clock V8 stamps profile samples with. */
function monotonicMicroseconds(): number {
  return Number(process.hrtime.bigint() / 1_000n);
}

/** The main thread's profile: node names them CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile, thread 0. */
async function readMainThreadProfile(directory: string): Promise<CpuProfile> {
  const names = await readdir(directory);
  const files = names.filter((name) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(name));
  if (files.length !== 1) throw new Error(`expected one main-thread profile in ${directory}, found ${names.join(', ') || 'none'}`);
  return JSON.parse(await readFile(join(directory, files[0] as string), 'utf8')) as CpuProfile;
}

function share(part: number, whole: number): string {
  return `${((part / whole) * 100).toFixed(1).padStart(5)}%`;
}

process.once('SIGINT', () => process.exit(130));
try {
  process.exit(await main(process.argv.slice(2)));
} catch (error) {
  process.stderr.write(`bench:profile: ${error instanceof BenchUsageError ? error.message : String((error as Error).stack ?? error)}\n`);
  process.exit(error instanceof BenchUsageError ? 2 : 1);
}
