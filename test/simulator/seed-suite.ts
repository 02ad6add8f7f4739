// The vitest body shared by the seed chunks: each chunk runs its seeds against src/raft,
// expects no violation, prints the summary, and expects the run to have exercised every fault
// and feature, so that a suite that no longer injects something cannot pass vacuously.

import { beforeAll, expect, it } from 'vitest';
import { loadRaftModule } from './raft-module.js';
import type { RaftModule } from './raft-module.js';
import { describeFailure, formatExercised, formatSummary, runSeeds } from './seed-runs.js';

/** The seeds `npm test` runs (and the mutation check runs at most): four chunks of 500. */
export const CI_SEED_COUNT = 2000;
export const CI_SEED_CHUNK = 500;
const CHUNK_TIMEOUT_MS = 600_000;

export function seedChunk(chunkNumber: number): void {
  const from = 1 + (chunkNumber - 1) * CI_SEED_CHUNK;
  const to = from + CI_SEED_CHUNK - 1;
  let raft: RaftModule;
  beforeAll(async () => {
    raft = await loadRaftModule();
  });

  it(
    `seeds ${from} to ${to} keep every safety property and commit again once healed`,
    () => {
      const summary = runSeeds(raft, { from, count: CI_SEED_CHUNK });
      console.log(`${formatExercised(summary.stats)}\n${formatSummary(summary)}`);
      expect(summary.failures.map((failure) => describeFailure(failure, undefined, raft))).toEqual([]);
      expect(summary.seeds).toBe(CI_SEED_CHUNK);
      const { stats } = summary;
      expect(stats.elections).toBeGreaterThan(0);
      expect(stats.snapshots).toBeGreaterThan(0);
      expect(stats.crashes).toBeGreaterThan(0);
      expect(stats.crashesInReady).toBeGreaterThan(0);
      expect(stats.confChanges).toBeGreaterThan(0);
      expect(stats.transfers).toBeGreaterThan(0);
      expect(stats.partitions).toBeGreaterThan(0);
      expect(stats.oneWayCuts).toBeGreaterThan(0);
      expect(stats.reads).toBeGreaterThan(0);
      expect(stats.writes).toBeGreaterThan(0);
      expect(stats.compactions).toBeGreaterThan(0);
    },
    CHUNK_TIMEOUT_MS,
  );
}
