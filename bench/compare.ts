// npm run bench:compare: Beaver-Vault and etcd side by side on this machine, in one run, the
// way etcd's performance guide measures etcd. Three members of each on loopback with fsync on,
// the same load generator (`bvault bench`, built) and the same workloads, alternating over
// rounds; prints the table with the ratios Beaver-Vault/etcd and writes it to
// docs/benchmarks.md. Needs Debian's etcd-server (apt-get install etcd-server); installs
// nothing itself.
//   npm run bench:compare [-- --rounds 3 --duration 10s | --total 20000] [--warmup 5s] [--workloads put-1,put-64] [--memory [--keys 1000000]] [--output docs/benchmarks.md] [--skip-build]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchUsageError, parseDurationMs } from '../src/bench/bench-options.js';
import { REPOSITORY_ROOT } from '../test/cluster/cluster-harness.js';
import { BUILT_SERVER_ENTRY, buildDist } from './build-dist.js';
import { etcdVersion } from './compare-clusters.js';
import { comparisonSection, comparisonTable, memoryTable, writeComparisonSection } from './compare-report.js';
import { type ComparisonPlan, runComparison } from './compare-run.js';
import { COMPARED_WORKLOADS, type ComparedWorkload } from './compare-workloads.js';

const USAGE = `Usage: npm run bench:compare -- [options]
  --rounds N        rounds, each running every workload against both systems (default 3)
  --duration D      length of each run, e.g. 10s (default 10s)
  --warmup D        before the first round, run every workload against both systems for D,
                    unrecorded, so JIT compilation and cold caches stay out of the figures
                    (default 5s; 0s skips it)
  --total N         or a number of operations per run instead
  --workloads IDS   only these workloads, by id, comma-separated (default all: ${COMPARED_WORKLOADS.map((workload) => workload.id).join(',')})
  --memory          also load --keys keys of 256 B into each system, report resident memory
                    and the time a killed follower takes to be ready again
  --keys N          keys for --memory (default 1000000)
  --output FILE     where the table goes (default docs/benchmarks.md; its other text is kept)
  --skip-build      use dist/ as it is instead of running tsc first`;

function parsePlan(args: readonly string[]): (ComparisonPlan & { output: string; build: boolean }) | undefined {
  const { values } = parseArgs({
    args: [...args],
    options: { rounds: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' }, total: { type: 'string' }, memory: { type: 'boolean' }, keys: { type: 'string' }, output: { type: 'string' }, workloads: { type: 'string' }, 'skip-build': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help === true) return undefined;
  if (values.total !== undefined && values.duration !== undefined) throw new BenchUsageError('give --total or --duration, not both');
  const length = values.total === undefined ? { durationMs: parseDurationMs(values.duration ?? '10s', '--duration') } : { total: positive(values.total, '--total') };
  return {
    rounds: values.rounds === undefined ? 3 : positive(values.rounds, '--rounds'),
    length,
    workloads: values.workloads === undefined ? COMPARED_WORKLOADS : workloadsByIds(values.workloads),
    warmupMs: values.warmup === undefined ? 5_000 : warmupMs(values.warmup),
    memoryKeys: values.memory === true ? (values.keys === undefined ? 1_000_000 : positive(values.keys, '--keys')) : undefined,
    output: resolve(REPOSITORY_ROOT, values.output ?? 'docs/benchmarks.md'),
    build: values['skip-build'] !== true,
  };
}

/** A warm-up may be zero, which skips it; any other length is a duration as --duration takes. */
function warmupMs(text: string): number {
  return /^0+(?:ms|s|m|h)?$/.test(text.trim()) ? 0 : parseDurationMs(text, '--warmup');
}

function workloadsByIds(text: string): ComparedWorkload[] {
  return text.split(',').map((id) => {
    const workload = COMPARED_WORKLOADS.find((candidate) => candidate.id === id.trim());
    if (workload === undefined) throw new BenchUsageError(`--workloads: no workload ${JSON.stringify(id)}; there are ${COMPARED_WORKLOADS.map((candidate) => candidate.id).join(', ')}`);
    return workload;
  });
}

function positive(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new BenchUsageError(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

async function main(args: readonly string[]): Promise<number> {
  const startedAtMs = performance.now();
  let plan;
  try {
    plan = parsePlan(args);
  } catch (error) {
    process.stderr.write(`bench:compare: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (plan === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (plan.build) buildDist('bench:compare');
  process.env.BVAULT_SERVER_ENTRY ??= BUILT_SERVER_ENTRY;
  const version = etcdVersion();
  if (version === undefined) {
    process.stderr.write("bench:compare: etcd is not installed. Install Debian's etcd-server (etcd 3.4) with: sudo apt-get install etcd-server  (or set ETCD_BINARY to an etcd 3.4 binary)\n");
    return 3;
  }
  const { workloads, memory } = await runComparison(plan);
  const runLength = 'durationMs' in plan.length ? `${plan.length.durationMs / 1_000} s` : `${plan.length.total} operations`;
  const elapsedSeconds = (performance.now() - startedAtMs) / 1_000;
  const command = `npm run bench:compare${args.length === 0 ? '' : ` -- ${args.join(' ')}`}`;
  process.stdout.write(`\n${comparisonTable(workloads)}\n${memory.length === 0 ? '' : `\n${memoryTable(memory)}\n`}`);
  const section = comparisonSection({ workloads, memory, rounds: plan.rounds, runLength, warmup: plan.warmupMs > 0 ? `${plan.warmupMs / 1_000} s` : undefined, command, etcdVersion: version, elapsedSeconds });
  await writeComparisonSection(plan.output, section, (marked) => `# Benchmarks\n\nBeaver-Vault against etcd, side by side on one machine (\`npm run bench:compare\`).\n\n${marked}\n`);
  process.stdout.write(`\nwritten to ${plan.output}; bench:compare took ${(elapsedSeconds / 60).toFixed(1)} min\n`);
  return 0;
}

// Ctrl-C exits through process.exit, so the clusters' exit handlers kill every server.
process.once('SIGINT', () => process.exit(130));
process.exit(await main(process.argv.slice(2)));
