// The simulator's checkers have teeth: each deliberate bug of raft-mutations.ts, planted in a
// copy of src/raft, is caught by a seed of the CI seed range that passes on the real core.

import { describe, expect, it } from 'vitest';
import { RAFT_DIRECTORY, describeOutcome, runMutation } from './mutation-check.js';
import { MUTATIONS } from './raft-mutations.js';
import { CI_SEED_COUNT } from './seed-suite.js';

/** A mutation is usually caught within a hundred seeds; the whole CI range bounds the rest. */
const MUTATION_TIMEOUT_MS = 600_000;

describe('the simulator catches a Raft core with a planted bug', () => {
  for (const mutation of MUTATIONS) {
    it(
      `${mutation.name}: ${mutation.bug}`,
      () => {
        const outcome = runMutation(RAFT_DIRECTORY, mutation, CI_SEED_COUNT);
        console.log(describeOutcome(outcome, CI_SEED_COUNT));
        expect(outcome.problem).toBeNull();
        expect(outcome.caught, `${mutation.name} survived ${CI_SEED_COUNT} seeds`).not.toBeNull();
      },
      MUTATION_TIMEOUT_MS,
    );
  }
});
