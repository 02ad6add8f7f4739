// A worker thread of `npm run sim -- --node`: runs every stride-th seed of the range and
// reports each result as it ends.

import { parentPort, workerData } from 'node:worker_threads';
import { loadNodeModule } from './node-module.js';
import type { NodeSimulationResult } from './node-simulation.js';
import { runNodeSeeds, type NodeSeedRange } from './node-seed-runs.js';

export interface NodeWorkerReport {
  readonly result: NodeSimulationResult;
}

const { directory, range } = workerData as { directory: string; range: NodeSeedRange };
const nodeModule = await loadNodeModule(directory);
await runNodeSeeds(nodeModule, range, (result) => parentPort!.postMessage({ result } satisfies NodeWorkerReport));
