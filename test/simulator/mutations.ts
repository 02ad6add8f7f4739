// `npx tsx test/simulator/mutations.ts [--seeds N] [--only NAME] [--source DIR]`: runs the
// simulator against src/raft (or DIR) with each deliberate bug of raft-mutations.ts planted,
// for up to the CI seed count, and reports the first seed that caught each. Exit code 1 if any
// mutation survived or could not be applied. `npm test` runs the same check
// (mutations.test.ts).

import { parseArgs } from 'node:util';
import { RAFT_DIRECTORY, describeOutcome, runMutation } from './mutation-check.js';
import { MUTATIONS } from './raft-mutations.js';
import { CI_SEED_COUNT } from './seed-suite.js';

function main(): void {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: String(CI_SEED_COUNT) },
      only: { type: 'string' },
      source: { type: 'string', default: RAFT_DIRECTORY },
    },
  });
  const seeds = Number(values.seeds);
  const mutations = MUTATIONS.filter((mutation) => values.only === undefined || mutation.name === values.only);
  if (mutations.length === 0) throw new Error(`no mutation is named ${values.only}`);
  let survivors = 0;
  for (const mutation of mutations) {
    const outcome = runMutation(values.source, mutation, seeds);
    console.log(describeOutcome(outcome, seeds));
    if (outcome.caught === null) survivors += 1;
  }
  console.log(`mutations ${mutations.length}, caught ${mutations.length - survivors}, survived ${survivors}`);
  process.exitCode = survivors > 0 ? 1 : 0;
}

main();
