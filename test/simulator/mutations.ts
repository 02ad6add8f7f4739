// `npx tsx test/simulator/mutations.ts [--node] [--seeds N] [--only NAME]`: runs the Raft
// simulator against src/raft (or, with --node, the node simulator against src/) with each
// deliberate bug of raft-mutations.ts (node/node-mutations.ts) planted, and reports the first
// seed that caught each. Exit code 1 if any mutation survived or could not be applied.
// `npm test` runs the same check (mutations.test.ts).

import { parseArgs } from 'node:util';
import { NODE, RAFT_CORE, describeOutcome, runMutation } from './mutation-check.js';
import { NODE_MUTATIONS, NODE_MUTATION_SEEDS } from './node/node-mutations.js';
import { MUTATIONS } from './raft-mutations.js';
import { CI_SEED_COUNT } from './seed-suite.js';

function main(): void {
  const { values } = parseArgs({
    options: {
      node: { type: 'boolean', default: false },
      seeds: { type: 'string' },
      only: { type: 'string' },
    },
  });
  const code = values.node ? NODE : RAFT_CORE;
  const seeds = values.seeds === undefined ? (values.node ? NODE_MUTATION_SEEDS : CI_SEED_COUNT) : Number(values.seeds);
  const mutations = (values.node ? NODE_MUTATIONS : MUTATIONS).filter((mutation) => values.only === undefined || mutation.name === values.only);
  if (mutations.length === 0) throw new Error(`no mutation is named ${values.only}`);
  let survivors = 0;
  for (const mutation of mutations) {
    const outcome = runMutation(code, mutation, seeds);
    console.log(describeOutcome(code, outcome, seeds));
    if (outcome.caught === null) survivors += 1;
  }
  console.log(`mutations ${mutations.length}, caught ${mutations.length - survivors}, survived ${survivors}`);
  process.exitCode = survivors > 0 ? 1 : 0;
}

main();
