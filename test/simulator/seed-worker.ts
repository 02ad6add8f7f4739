// A worker thread of the CLI: runs its share of the seeds and reports each result as it ends.

import { parentPort, workerData } from 'node:worker_threads';
import type { SimulationResult } from './cluster-simulation.js';
import { loadRaftModule } from './raft-module.js';
import { runSeeds } from './seed-runs.js';
import type { SeedRange } from './seed-runs.js';

export interface WorkerReport {
  readonly result: SimulationResult;
}

const { directory, range } = workerData as { directory: string; range: SeedRange };
const raft = await loadRaftModule(directory);
runSeeds(raft, range, (result) => parentPort!.postMessage({ result } satisfies WorkerReport));
