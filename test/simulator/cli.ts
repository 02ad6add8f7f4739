// `npm run sim -- --seeds N [--from S] [--nodes K] [--trace] [--workers W] [--stop-at-first]`:
// runs seeds [S, S + N) with a progress bar on stderr and ends with the summary line. The
// seeds are split over worker threads; each seed is independent, so the totals do not depend
// on the split. Exit code 1 on any violation.
// `npm run sim -- --node --seeds N [--from S] [--trace] [--workers W] [--stop-at-first]` runs
// the node simulator instead (test/simulator/node/: real RaftKvNodes on simulated disks,
// network and clock); its workers take interleaved seeds, so that each stopping at its first
// violation still finds a low one.

import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import cliProgress from 'cli-progress';
import { runSimulation } from './cluster-simulation.js';
import type { SimulationResult } from './cluster-simulation.js';
import { loadRaftModule } from './raft-module.js';
import type { RaftModule } from './raft-module.js';
import { describeFailure, emptySummary, formatExercised, formatSummary, recordResult } from './seed-runs.js';
import type { RunSummary, SeedRange } from './seed-runs.js';
import type { WorkerReport } from './seed-worker.js';
import { loadNodeModule } from './node/node-module.js';
import type { NodeModule } from './node/node-module.js';
import type { NodeSimulationResult } from './node/node-simulation.js';
import type { NodeWorkerReport } from './node/node-seed-worker.js';
import {
  describeNodeFailure,
  emptyNodeSummary,
  formatNodeExercised,
  formatNodeSummary,
  recordNodeResult,
  runNodeSeeds,
  type NodeRunSummary,
} from './node/node-seed-runs.js';

interface CliOptions {
  readonly range: SeedRange;
  readonly trace: boolean;
  readonly workers: number;
  readonly node: boolean;
}

function parseOptions(): CliOptions {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '100' },
      from: { type: 'string', default: '1' },
      nodes: { type: 'string' },
      trace: { type: 'boolean', default: false },
      workers: { type: 'string', default: String(Math.min(2, availableParallelism())) },
      'stop-at-first': { type: 'boolean', default: false },
      node: { type: 'boolean', default: false },
    },
  });
  const count = positiveInteger('--seeds', values.seeds);
  const from = positiveInteger('--from', values.from);
  const votersInitial = values.nodes === undefined ? undefined : positiveInteger('--nodes', values.nodes);
  if (votersInitial !== undefined && votersInitial < 1) throw new Error('--nodes must be at least 1');
  const range = { from, count, votersInitial, stopAtFirstViolation: values['stop-at-first'] };
  const workers = Math.max(1, Math.min(positiveInteger('--workers', values.workers), count));
  return { range, trace: values.trace, workers, node: values.node };
}

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${flag} takes a non-negative integer, got "${text}"`);
  return value;
}

/** Replays seeds in this thread, printing every message and event to stdout. */
function runTraced(raft: RaftModule, range: SeedRange): RunSummary {
  const summary = emptySummary();
  for (let seed = range.from; seed < range.from + range.count; seed++) {
    const result = runSimulation(raft, { seed, votersInitial: range.votersInitial, trace: (line) => console.log(line) });
    recordResult(summary, result);
    if (result.violation !== null) console.log(describeFailure(result, range.votersInitial, raft));
  }
  return summary;
}

/** Splits the range over worker threads, with one progress bar for all of them. */
async function runInWorkers(raft: RaftModule, options: CliOptions): Promise<RunSummary> {
  const { range, workers } = options;
  const summary = emptySummary();
  const bar = new cliProgress.SingleBar(
    { format: 'seeds {bar} {value}/{total} | violations {violations} | {duration_formatted} elapsed, eta {eta_formatted}' },
    cliProgress.Presets.shades_classic,
  );
  bar.start(range.count, 0, { violations: 0 });
  const onResult = (result: SimulationResult): void => {
    recordResult(summary, result);
    if (result.violation !== null) {
      bar.stop();
      console.log(describeFailure(result, range.votersInitial, raft));
    }
    bar.update(summary.seeds, { violations: summary.failures.length });
  };
  const chunk = Math.ceil(range.count / workers);
  const parts: Promise<void>[] = [];
  for (let start = range.from; start < range.from + range.count; start += chunk) {
    const count = Math.min(chunk, range.from + range.count - start);
    parts.push(runWorker(raft.directory, { ...range, from: start, count }, onResult));
  }
  await Promise.all(parts);
  bar.stop();
  return summary;
}

// Worker threads do not inherit tsx's loader hooks: the bootstrap registers them, then loads
// the TypeScript worker module.
const WORKER_URL = new URL('./seed-worker.ts', import.meta.url).href;
const WORKER_BOOTSTRAP = `
  const { workerData } = await import('node:worker_threads');
  const { register } = await import('tsx/esm/api');
  register();
  await import(workerData.workerUrl);
`;

function runWorker(directory: string, range: SeedRange, onResult: (result: SimulationResult) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_BOOTSTRAP, { eval: true, workerData: { directory, range, workerUrl: WORKER_URL } });
    worker.on('message', (report: WorkerReport) => {
      onResult(report.result);
      if (report.result.violation !== null && range.stopAtFirstViolation) void worker.terminate().then(() => resolve());
    });
    worker.on('error', reject);
    worker.on('exit', () => resolve());
  });
}

/** The node simulator's seeds: traced in this thread, or over worker threads with a progress bar. */
async function runNodeSimulator(options: CliOptions): Promise<void> {
  const nodeModule = await loadNodeModule();
  const { range, trace } = options;
  const bar = new cliProgress.SingleBar({ format: 'node seeds {bar} {value}/{total} | violations {violations} | {duration_formatted} elapsed' }, cliProgress.Presets.shades_classic);
  if (!trace) bar.start(range.count, 0, { violations: 0 });
  let violations = 0;
  const onResult = (result: NodeSimulationResult): void => {
    if (trace) for (const line of result.trace) console.log(`seed ${result.seed}: ${line}`);
    if (result.violation !== null) {
      violations++;
      if (!trace) bar.stop();
      console.log(describeNodeFailure(result, nodeModule));
    }
    if (!trace) bar.increment(1, { violations });
  };
  const summary = trace ? await runNodeSeeds(nodeModule, range, onResult) : await runNodeWorkers(nodeModule, options, onResult);
  if (!trace) bar.stop();
  console.log(formatNodeExercised(summary.stats));
  console.log(formatNodeSummary(summary));
  process.exitCode = summary.failures.length > 0 ? 1 : 0;
}

const NODE_WORKER_URL = new URL('./node/node-seed-worker.ts', import.meta.url).href;

async function runNodeWorkers(nodeModule: NodeModule, options: CliOptions, onResult: (result: NodeSimulationResult) => void): Promise<NodeRunSummary> {
  const summary = emptyNodeSummary();
  const started = performance.now();
  const { range, workers } = options;
  // With --stop-at-first, a worker past the lowest violating seed so far has nothing left to find.
  let lowestViolatingSeed = Infinity;
  const parts = Array.from({ length: workers }, (_unused, index) => {
    const share = { from: range.from + index, count: range.count - index, stride: workers, stopAtFirstViolation: range.stopAtFirstViolation };
    return new Promise<void>((resolve, reject) => {
      const worker = new Worker(WORKER_BOOTSTRAP, { eval: true, workerData: { directory: nodeModule.directory, range: share, workerUrl: NODE_WORKER_URL } });
      worker.on('message', (report: NodeWorkerReport) => {
        const { result } = report;
        recordNodeResult(summary, result);
        onResult(result);
        if (result.violation !== null) lowestViolatingSeed = Math.min(lowestViolatingSeed, result.seed);
        if (range.stopAtFirstViolation === true && result.seed + workers > lowestViolatingSeed) void worker.terminate();
      });
      worker.on('error', reject);
      worker.on('exit', () => resolve());
    });
  });
  await Promise.all(parts);
  summary.elapsedMs = performance.now() - started;
  return summary;
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options.node) return runNodeSimulator(options);
  const raft = await loadRaftModule();
  const summary = options.trace ? runTraced(raft, options.range) : await runInWorkers(raft, options);
  console.log(formatExercised(summary.stats));
  console.log(formatSummary(summary));
  process.exitCode = summary.failures.length > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 2;
});
