// Proof that the fault-injection suite catches a broken server: for each break of
// server-breaks.ts, runs the suite against clusters of a broken copy of src and prints whether
// a check caught it. `npm test` runs the same (broken-servers.test.ts).
//
//   npx tsx test/jepsen/broken-servers.ts [--time 40] [--seed 1] [--only local-reads]
import { parseArgs } from 'node:util';
import { checkBreak } from './broken-server-check.js';
import { BREAKS } from './server-breaks.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { time: { type: 'string', default: '40' }, seed: { type: 'string', default: '1' }, only: { type: 'string' }, nodes: { type: 'string', default: '3' } } });
  const outcomes: string[] = [];
  for (const broken of BREAKS.filter((each) => values.only === undefined || each.name === values.only)) {
    console.log(`\n=== ${broken.name}: ${broken.description} (faults ${broken.faults}, up to ${broken.runsMax} runs)`);
    const outcome = await checkBreak(broken, { timeSeconds: Number(values.time), seed: Number(values.seed), nodes: Number(values.nodes) });
    console.log(outcome.output);
    const verdict = outcome.caughtBy.length > 0 ? `caught by ${outcome.caughtBy.join(', ')}` : 'NOT caught';
    outcomes.push(`${broken.name}: ${verdict} (${outcome.runs.join('; ')})`);
  }
  console.log(`\n${outcomes.join('\n')}`);
  process.exitCode = outcomes.some((outcome) => !outcome.includes(': caught by')) ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
