// Runs ranges of seeds and reports them: the summary line, what the runs exercised, and for a
// failing seed the violation and the command that replays exactly that run with a full trace.

import { runSimulation } from './cluster-simulation.js';
import type { SimulationResult } from './cluster-simulation.js';
import { RAFT_DIRECTORY_VARIABLE } from './raft-module.js';
import type { RaftModule } from './raft-module.js';
import { addStats, emptyStats } from './simulation-stats.js';
import type { SimulationStats } from './simulation-stats.js';

export interface SeedRange {
  readonly from: number;
  readonly count: number;
  /** The initial number of voters of every run; chosen per seed when absent. */
  readonly votersInitial?: number;
  /** Stop at the first violating seed (the mutation check needs only one). */
  readonly stopAtFirstViolation?: boolean;
}

export interface RunSummary {
  seeds: number;
  readonly stats: SimulationStats;
  readonly failures: SimulationResult[];
}

export function emptySummary(): RunSummary {
  return { seeds: 0, stats: emptyStats(), failures: [] };
}

export function recordResult(summary: RunSummary, result: SimulationResult): void {
  summary.seeds += 1;
  addStats(summary.stats, result.stats);
  if (result.violation !== null) summary.failures.push(result);
}

export function mergeSummary(total: RunSummary, part: RunSummary): void {
  total.seeds += part.seeds;
  addStats(total.stats, part.stats);
  total.failures.push(...part.failures);
}

export function runSeeds(raft: RaftModule, range: SeedRange, onResult?: (result: SimulationResult) => void): RunSummary {
  const summary = emptySummary();
  for (let seed = range.from; seed < range.from + range.count; seed++) {
    const result = runSimulation(raft, { seed, votersInitial: range.votersInitial });
    recordResult(summary, result);
    onResult?.(result);
    if (result.violation !== null && range.stopAtFirstViolation) break;
  }
  return summary;
}

/** The last line of every run: `seeds N, ticks …, messages …, elections …, snapshots …, violations V`. */
export function formatSummary(summary: RunSummary): string {
  const { stats } = summary;
  return `seeds ${summary.seeds}, ticks ${stats.ticks}, messages ${stats.messages}, elections ${stats.elections}, snapshots ${stats.snapshots}, violations ${summary.failures.length}`;
}

export function formatExercised(stats: SimulationStats): string {
  return (
    `exercised: crashes ${stats.crashes} (${stats.crashesInReady} inside a Ready), partitions ${stats.partitions}, ` +
    `one-way cuts ${stats.oneWayCuts}, membership changes ${stats.confChanges}, leadership transfers ${stats.transfers}, ` +
    `reads ${stats.reads}, writes ${stats.writes}, compactions ${stats.compactions}`
  );
}

export function replayCommand(seed: number, votersInitial: number | undefined, raft: RaftModule): string {
  const directory = process.env[RAFT_DIRECTORY_VARIABLE] === undefined ? '' : `${RAFT_DIRECTORY_VARIABLE}=${raft.directory} `;
  const voters = votersInitial === undefined ? '' : ` --nodes ${votersInitial}`;
  return `${directory}npm run sim -- --seeds 1 --from ${seed}${voters} --trace`;
}

export function describeFailure(result: SimulationResult, votersInitial: number | undefined, raft: RaftModule): string {
  const violation = result.violation!;
  return [
    `seed ${result.seed} violated ${violation.property} at tick ${violation.tick}: ${violation.detail}`,
    `replay: ${replayCommand(result.seed, votersInitial, raft)}`,
  ].join('\n');
}
