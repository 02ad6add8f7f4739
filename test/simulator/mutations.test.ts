// The simulators' checkers have teeth: each deliberate bug, planted in a copy of the code a
// simulator runs, is caught by a seed that passes on the real code — the Raft core's bugs
// within the CI seed range of the Raft simulator, the node's within the node simulator's.

import { describe, expect, it } from 'vitest';
import type { Mutation, SimulatedCode } from './mutation-check.js';
import { NODE, RAFT_CORE, describeOutcome, runMutation } from './mutation-check.js';
import { NODE_MUTATIONS, NODE_MUTATION_SEEDS } from './node/node-mutations.js';
import { MUTATIONS } from './raft-mutations.js';
import { CI_SEED_COUNT } from './seed-suite.js';

/** A mutation is usually caught within a hundred seeds; the seed budget bounds the rest. */
const MUTATION_TIMEOUT_MS = 600_000;

function expectEachCaught(code: SimulatedCode, mutations: readonly Mutation[], seeds: number): void {
  for (const mutation of mutations) {
    it(
      `${mutation.name}: ${mutation.bug}`,
      () => {
        const outcome = runMutation(code, mutation, seeds);
        console.log(describeOutcome(code, outcome, seeds));
        expect(outcome.problem).toBeNull();
        expect(outcome.caught, `${mutation.name} survived ${seeds} seeds`).not.toBeNull();
      },
      MUTATION_TIMEOUT_MS,
    );
  }
}

describe('the Raft simulator catches a Raft core with a planted bug', () => {
  expectEachCaught(RAFT_CORE, MUTATIONS, CI_SEED_COUNT);
});

describe('the node simulator catches a node with a planted bug', () => {
  expectEachCaught(NODE, NODE_MUTATIONS, NODE_MUTATION_SEEDS);
});
