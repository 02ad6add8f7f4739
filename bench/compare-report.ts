// What bench:compare prints and writes: per workload the median over the rounds of each
// system's throughput and p99 latency and the ratios Beaver-Vault/etcd, the machine it ran on,
// and the memory and restart figures when they were measured. docs/benchmarks.md keeps its
// hand-written notes: only the part between this tool's markers is replaced.
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import type { MemoryAndRestart } from './memory-and-restart.js';
import type { ComparedResult } from './compare-workloads.js';

export interface WorkloadRounds {
  readonly workload: string;
  readonly endpoints: string;
  /** Every round's result, per system name. */
  readonly rounds: ReadonlyMap<string, readonly ComparedResult[]>;
}

export interface ComparisonReport {
  readonly workloads: readonly WorkloadRounds[];
  readonly memory: readonly MemoryAndRestart[];
  readonly rounds: number;
  readonly runLength: string;
  /** The unrecorded warm-up per workload and system, e.g. "5 s"; undefined when skipped. */
  readonly warmup: string | undefined;
  readonly command: string;
  readonly etcdVersion: string;
  readonly elapsedSeconds: number;
}

export const BEAVER = 'Beaver-Vault';
export const ETCD = 'etcd';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * CPU time the system's members (all three) spent per successful operation, in µs: what a
 * request costs the servers, whatever else shares the machine's cores.
 */
export function serverCpuMicrosPerOperation(result: ComparedResult): number {
  return result.successful > 0 ? (result.serverCpuMs * 1_000) / result.successful : NaN;
}

function figures(results: readonly ComparedResult[] | undefined): { throughput: number; p99: number; errors: number; serverCpu: number; generatorCpu: number } {
  const list = results ?? [];
  return {
    throughput: median(list.map((result) => result.throughputPerSecond)),
    p99: median(list.map((result) => result.latencyMs.p99)),
    errors: list.reduce((total, result) => total + result.failed, 0),
    serverCpu: median(list.map(serverCpuMicrosPerOperation)),
    generatorCpu: median(list.map((result) => result.generatorCpu.percentOfOneCore)),
  };
}

/** The comparison table in Markdown (it reads as well in a terminal). */
export function comparisonTable(workloads: readonly WorkloadRounds[]): string {
  const header = [
    `| workload | clients sent to | ${BEAVER} ops/s | ${ETCD} ops/s | throughput ${BEAVER}/${ETCD} | ${BEAVER} p99 ms | ${ETCD} p99 ms | p99 ${BEAVER}/${ETCD} | errors (${BEAVER} / ${ETCD}) | servers' CPU per operation, µs (${BEAVER} / ${ETCD}) | generator CPU, % of a core (${BEAVER} / ${ETCD}) |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const rows = workloads.map(({ workload, endpoints, rounds }) => {
    const beaver = figures(rounds.get(BEAVER));
    const etcd = figures(rounds.get(ETCD));
    const cells = [workload, endpoints, grouped(beaver.throughput), grouped(etcd.throughput), ratio(beaver.throughput, etcd.throughput), beaver.p99.toFixed(2), etcd.p99.toFixed(2), ratio(beaver.p99, etcd.p99), `${beaver.errors} / ${etcd.errors}`, `${grouped(beaver.serverCpu)} / ${grouped(etcd.serverCpu)}`, `${beaver.generatorCpu.toFixed(0)} / ${etcd.generatorCpu.toFixed(0)}`];
    return `| ${cells.join(' | ')} |`;
  });
  return [...header, ...rows].join('\n');
}

export function memoryTable(memory: readonly MemoryAndRestart[]): string {
  const rows = memory.map((figures) => {
    const resident = figures.residentMiB.map((entry) => `${entry.member}${entry.leader ? ' (leader)' : ''} ${entry.mebibytes.toFixed(1)}`).join(', ');
    return `| ${figures.system} | ${grouped(figures.keys)} | ${figures.load.elapsedSeconds.toFixed(1)} s (${figures.load.failed} failed txns) | ${resident} | ${figures.restartedMember}: ${(figures.restartReadyMs / 1_000).toFixed(2)} s |`;
  });
  return ['| system | keys of 256 B | load time (txns of 128 puts, 8 clients) | resident memory after the load, MiB (VmRSS) | kill -9 of a follower, restart until ready |', '|---|---:|---:|---|---:|', ...rows].join('\n');
}

function grouped(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

function ratio(beaver: number, etcd: number): string {
  return etcd > 0 && Number.isFinite(beaver) ? `${(beaver / etcd).toFixed(2)}×` : 'n/a';
}

/** CPU model and count, memory, the filesystem the data directories were on, Node's version. */
export function machineDescription(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const filesystem = commandOutput('df', ['--output=source,fstype', process.env.TMPDIR ?? '/tmp']).split('\n')[1]?.trim().replace(/\s+/, ' ') ?? 'unknown';
  return `${model}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory; data directories on ${filesystem} (${process.env.TMPDIR ?? '/tmp'}); ${process.platform} ${commandOutput('uname', ['-r'])}; Node.js ${process.version}`;
}

function commandOutput(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export function comparisonSection(report: ComparisonReport): string {
  const memory = report.memory.length === 0
    ? 'Memory and restart were not measured in this run (`npm run bench:compare -- --memory`).'
    : `Memory and restart, after loading the keys through \`bvault bench txn-put --txn-ops 128 --sequential-keys\`:\n\n${memoryTable(report.memory)}`;
  return [
    `Run on ${new Date().toISOString().slice(0, 10)} with \`${report.command}\` (${report.warmup === undefined ? '' : `after an unrecorded warm-up of ${report.warmup} per workload and system, `}${report.rounds} rounds, each workload ${report.runLength} per round and system, the systems alternating; whole run ${(report.elapsedSeconds / 60).toFixed(1)} min).`,
    '',
    `Machine: ${machineDescription()}. etcd ${report.etcdVersion} (Debian's etcd-server), Beaver-Vault built with \`tsc\` and run from dist/.`,
    '',
    `Median over the rounds; keys of 8 B drawn at random from 10,000, values of 256 B.`,
    '',
    comparisonTable(report.workloads),
    '',
    memory,
  ].join('\n');
}

const SECTION_BEGIN = '<!-- bench:compare begin: written by npm run bench:compare; edit outside these markers -->';
const SECTION_END = '<!-- bench:compare end -->';

/** Replaces the tool's section of `path`, appends it, or creates the file around it; keeps the rest. */
export async function writeComparisonSection(path: string, section: string, newFileText: (marked: string) => string): Promise<void> {
  const marked = `${SECTION_BEGIN}\n${section}\n${SECTION_END}`;
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  const begin = existing?.indexOf(SECTION_BEGIN) ?? -1;
  const end = existing?.indexOf(SECTION_END) ?? -1;
  let text: string;
  if (existing === undefined) text = newFileText(marked);
  else if (begin < 0 || end < begin) text = `${existing.trimEnd()}\n\n${marked}\n`;
  else text = `${existing.slice(0, begin)}${marked}${existing.slice(end + SECTION_END.length)}`;
  await writeFile(path, text);
}
