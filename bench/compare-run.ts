// One whole comparison: both clusters up, an unrecorded warm-up of every workload against
// each, then every workload against each in turn over the rounds (the order of the systems
// flips each round, so neither always runs first), then memory and restart if asked, and both
// clusters gone again whatever happened.
import { type ComparedCluster, startBeaverVault, startEtcd } from './compare-clusters.js';
import { BEAVER, ETCD, serverCpuMicrosPerOperation, type WorkloadRounds } from './compare-report.js';
import { type ComparedResult, type ComparedWorkload, type RunLength, runComparedWorkload } from './compare-workloads.js';
import { measureMemoryAndRestart, type MemoryAndRestart } from './memory-and-restart.js';

export interface ComparisonPlan {
  readonly rounds: number;
  readonly length: RunLength;
  readonly workloads: readonly ComparedWorkload[];
  /** Length of the unrecorded warm-up run of each workload against each system; 0 skips it. */
  readonly warmupMs: number;
  /** Keys to load for the memory and restart figures; undefined skips them. */
  readonly memoryKeys: number | undefined;
}

export async function runComparison(plan: ComparisonPlan): Promise<{ workloads: WorkloadRounds[]; memory: MemoryAndRestart[] }> {
  log('starting a 3-member Beaver-Vault cluster (from dist/) and a 3-member etcd cluster on loopback...');
  const clusters: ComparedCluster[] = [];
  try {
    clusters.push(await startBeaverVault());
    clusters.push(await startEtcd());
    if (plan.warmupMs > 0) {
      log(`warming up: every workload against each system for ${plan.warmupMs / 1_000} s, not recorded...`);
      for (const workload of plan.workloads) {
        for (const cluster of clusters) await runComparedWorkload(cluster, workload, { durationMs: plan.warmupMs });
      }
    }
    const workloads = plan.workloads.map((workload) => ({ workload: workload.name, endpoints: workload.endpoints, rounds: new Map<string, ComparedResult[]>([[BEAVER, []], [ETCD, []]]) }));
    for (let round = 1; round <= plan.rounds; round++) {
      const order = round % 2 === 1 ? clusters : [...clusters].reverse();
      for (const [index, workload] of plan.workloads.entries()) {
        for (const cluster of order) {
          const result = await runComparedWorkload(cluster, workload, plan.length);
          workloads[index]?.rounds.get(cluster.system)?.push(result);
          log(`round ${round}/${plan.rounds}  ${workload.name.padEnd(20)} ${cluster.system.padEnd(12)} ${Math.round(result.throughputPerSecond).toLocaleString('en-US').padStart(7)} ops/s  p99 ${result.latencyMs.p99.toFixed(2).padStart(7)} ms  errors ${result.failed}  servers ${serverCpuMicrosPerOperation(result).toFixed(0)} µs CPU/op  generator ${result.generatorCpu.percentOfOneCore.toFixed(0)}% of a core`);
        }
      }
    }
    const memory: MemoryAndRestart[] = [];
    if (plan.memoryKeys !== undefined) {
      for (const cluster of clusters) {
        log(`loading ${plan.memoryKeys.toLocaleString('en-US')} keys of 256 B into ${cluster.system}, then restarting a follower...`);
        const figures = await measureMemoryAndRestart(cluster, plan.memoryKeys);
        log(`${cluster.system}: loaded in ${figures.load.elapsedSeconds.toFixed(1)} s; resident ${figures.residentMiB.map((entry) => `${entry.member} ${entry.mebibytes.toFixed(1)} MiB`).join(', ')}; ${figures.restartedMember} ready ${(figures.restartReadyMs / 1_000).toFixed(2)} s after its restart`);
        memory.push(figures);
      }
    }
    return { workloads, memory };
  } finally {
    await Promise.all(clusters.map((cluster) => cluster.destroy()));
  }
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}
