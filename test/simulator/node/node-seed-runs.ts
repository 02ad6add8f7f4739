// Runs ranges of node-simulator seeds and reports them: what the runs exercised, the summary
// line, and for a failing seed the violation and the command that replays it.

import { SOURCE_DIRECTORY_VARIABLE, type NodeModule } from './node-module.js';
import { runNodeSimulation, type NodeSimulationResult, type NodeSimulationStats } from './node-simulation.js';

export interface NodeRunSummary {
  seeds: number;
  elapsedMs: number;
  readonly stats: NodeSimulationStats;
  readonly failures: NodeSimulationResult[];
}

export function emptyNodeSummary(): NodeRunSummary {
  const stats: NodeSimulationStats = {
    crashes: 0,
    partitions: 0,
    diskStalls: 0,
    leaderStallCrashes: 0,
    electionCrashes: 0,
    crashesOfAll: 0,
    tornTails: 0,
    writesAcknowledged: 0,
    readsAcknowledged: 0,
    elections: 0,
    fsyncsStalled: 0,
    snapshotsSent: 0,
  };
  return { seeds: 0, elapsedMs: 0, stats, failures: [] };
}

export interface NodeSeedRange {
  readonly from: number;
  readonly count: number;
  /** Runs every stride-th seed of the range, starting at `from` (worker threads interleave). */
  readonly stride?: number;
  readonly stopAtFirstViolation?: boolean;
}

export function recordNodeResult(summary: NodeRunSummary, result: NodeSimulationResult): void {
  summary.seeds++;
  for (const name of Object.keys(summary.stats) as (keyof NodeSimulationStats)[]) summary.stats[name] += result.stats[name];
  if (result.violation !== null) summary.failures.push(result);
}

export async function runNodeSeeds(nodeModule: NodeModule, range: NodeSeedRange, onResult?: (result: NodeSimulationResult) => void): Promise<NodeRunSummary> {
  const summary = emptyNodeSummary();
  const started = performance.now();
  for (let seed = range.from; seed < range.from + range.count; seed += range.stride ?? 1) {
    const result = await runNodeSimulation(nodeModule, seed);
    recordNodeResult(summary, result);
    onResult?.(result);
    if (result.violation !== null && range.stopAtFirstViolation === true) break;
  }
  summary.elapsedMs = performance.now() - started;
  return summary;
}

export function formatNodeExercised(stats: NodeSimulationStats): string {
  return (
    `exercised: crashes ${stats.crashes} (unsynced tail torn or damaged ${stats.tornTails}), partitions ${stats.partitions}, ` +
    `disk stalls ${stats.diskStalls} (fsyncs stalled ${stats.fsyncsStalled}), leader stall-and-crash ${stats.leaderStallCrashes}, ` +
    `crashes during elections ${stats.electionCrashes}, crashes of every member ${stats.crashesOfAll}, ` +
    `elections ${stats.elections}, snapshots sent ${stats.snapshotsSent}, writes ${stats.writesAcknowledged}, reads ${stats.readsAcknowledged}`
  );
}

export function formatNodeSummary(summary: NodeRunSummary): string {
  const perSeedMs = summary.seeds === 0 ? 0 : Math.round(summary.elapsedMs / summary.seeds);
  return `node seeds ${summary.seeds}, ${perSeedMs} ms per seed, violations ${summary.failures.length}`;
}

export function describeNodeFailure(result: NodeSimulationResult, nodeModule: NodeModule): string {
  const violation = result.violation!;
  const directory = process.env[SOURCE_DIRECTORY_VARIABLE] === undefined ? '' : `${SOURCE_DIRECTORY_VARIABLE}=${nodeModule.directory} `;
  return [
    `seed ${result.seed} violated ${violation.property} at ${violation.atMs} ms: ${violation.detail}`,
    `replay: ${directory}npm run sim -- --node --seeds 1 --from ${result.seed} --trace`,
  ].join('\n');
}
