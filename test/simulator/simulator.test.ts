// The cluster simulator under vitest: seeds 1 to 500 (the other chunks are in
// simulator-chunk-*.test.ts), and the guarantee everything else rests on: a seed replays exactly.

import { beforeAll, describe, expect, it } from 'vitest';
import { runSimulation } from './cluster-simulation.js';
import { loadRaftModule } from './raft-module.js';
import type { RaftModule } from './raft-module.js';
import { seedChunk } from './seed-suite.js';

describe('the simulated cluster', () => {
  seedChunk(1);
});

describe('a seed', () => {
  let raft: RaftModule;
  beforeAll(async () => {
    raft = await loadRaftModule();
  });

  it('replays exactly: the same seed gives the same trace, message for message', () => {
    const traceOf = (seed: number): string[] => {
      const lines: string[] = [];
      const result = runSimulation(raft, { seed, trace: (line) => lines.push(line) });
      lines.push(JSON.stringify(result.stats));
      return lines;
    };
    const first = traceOf(4711);
    expect(first.length).toBeGreaterThan(1000);
    expect(traceOf(4711)).toEqual(first);
    expect(traceOf(4712)).not.toEqual(first);
  });
});
