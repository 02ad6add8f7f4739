// The fault-injection suite has teeth: each server of server-breaks.ts, broken on purpose, is
// caught by a failed check within its runs. The breaks whose loss depends on timing get more
// than one run (see runsMax), so that a quiet run does not fail the test.

import { describe, expect, it } from 'vitest';
import { checkBreak } from './broken-server-check.js';
import { BREAKS } from './server-breaks.js';

const RUN_SECONDS = 40;
/** Starting the cluster, healing and checking come on top of each run's own time. */
const RUN_OVERHEAD_MS = 120_000;

describe('the fault-injection suite catches a server broken on purpose', () => {
  for (const broken of BREAKS) {
    it(
      `${broken.name}: ${broken.description}`,
      async () => {
        const outcome = await checkBreak(broken, { timeSeconds: RUN_SECONDS, seed: 1, nodes: 3 });
        console.log(`${broken.name}: ${outcome.runs.join('; ')}`);
        expect(outcome.caughtBy, `${broken.name} was not caught in ${broken.runsMax} runs:\n${outcome.output}`).not.toEqual([]);
      },
      broken.runsMax * (RUN_SECONDS * 1000 + RUN_OVERHEAD_MS),
    );
  }
});
