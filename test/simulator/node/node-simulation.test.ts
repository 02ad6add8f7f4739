// The node simulator in `npm test`: real RaftKvNodes (Ready loop, WAL, MVCC apply, ReadIndex,
// snapshots) on simulated disks, network and clock. The seeds must keep every property, must
// have exercised every fault and feature (so the suite cannot pass vacuously), and a seed must
// replay exactly.

import { beforeAll, describe, expect, it } from 'vitest';
import { loadNodeModule, type NodeModule } from './node-module.js';
import { runNodeSimulation } from './node-simulation.js';
import { describeNodeFailure, formatNodeExercised, formatNodeSummary, runNodeSeeds } from './node-seed-runs.js';

/** The seeds `npm test` runs: about a minute of CPU on this machine. */
const NODE_CI_SEED_COUNT = 250;
const SUITE_TIMEOUT_MS = 300_000;

describe('the node simulator', () => {
  let nodeModule: NodeModule;
  beforeAll(async () => {
    nodeModule = await loadNodeModule();
  });

  it(
    `seeds 1 to ${NODE_CI_SEED_COUNT} lose no acknowledged write, keep every member's state identical and stay linearizable`,
    async () => {
      const summary = await runNodeSeeds(nodeModule, { from: 1, count: NODE_CI_SEED_COUNT });
      console.log(`${formatNodeExercised(summary.stats)}\n${formatNodeSummary(summary)}`);
      expect(summary.failures.map((failure) => describeNodeFailure(failure, nodeModule))).toEqual([]);
      expect(summary.seeds).toBe(NODE_CI_SEED_COUNT);
      const { stats } = summary;
      expect(stats.crashes).toBeGreaterThan(0);
      expect(stats.tornTails).toBeGreaterThan(0);
      expect(stats.partitions).toBeGreaterThan(0);
      expect(stats.diskStalls).toBeGreaterThan(0);
      expect(stats.fsyncsStalled).toBeGreaterThan(0);
      expect(stats.leaderStallCrashes).toBeGreaterThan(0);
      expect(stats.electionCrashes).toBeGreaterThan(0);
      expect(stats.crashesOfAll).toBeGreaterThan(0);
      expect(stats.elections).toBeGreaterThan(NODE_CI_SEED_COUNT);
      expect(stats.snapshotsSent).toBeGreaterThan(0);
      expect(stats.writesAcknowledged).toBeGreaterThan(0);
      expect(stats.readsAcknowledged).toBeGreaterThan(0);
    },
    SUITE_TIMEOUT_MS,
  );

  // Seed 1819: a member crashed after a received snapshot was durable and before its hard
  // state was, so its hard state's commit index was behind the snapshot. Seed 3281: a member's
  // own snapshot was ahead of the commit index on disk, which is written without an fsync.
  for (const seed of [1819, 3281]) {
    it(`seed ${seed}: a member restarts whatever the commit index on its disk is behind`, async () => {
      const summary = await runNodeSeeds(nodeModule, { from: seed, count: 1 });
      expect(summary.failures.map((failure) => describeNodeFailure(failure, nodeModule))).toEqual([]);
      expect(summary.stats.crashes).toBeGreaterThan(0);
    });
  }

  it('replays a seed exactly: the same faults, history and end state twice', async () => {
    const first = await runNodeSimulation(nodeModule, 7);
    const second = await runNodeSimulation(nodeModule, 7);
    expect(first.trace.length).toBeGreaterThan(5);
    expect(second.trace).toEqual(first.trace);
    expect(second.stats).toEqual(first.stats);
  });
});
