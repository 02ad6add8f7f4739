// `npx tsx test/simulator/mutations.ts [--seeds N] [--only NAME] [--source DIR]`: proves the
// simulator's checkers have teeth. For each deliberate bug it copies src/raft (or DIR) to a temporary directory,
// applies the bug by exact text replacement (the search text must occur exactly once, so a
// mutation whose target code changed fails loudly instead of silently testing nothing), runs
// the simulator against the copy for up to the CI seed count, and reports the first seed that
// caught it and that passes on the unmutated core (a seed failing on both says nothing about the
// mutation). Exit code 1 if any mutation survived or could not be applied.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RAFT_DIRECTORY_VARIABLE } from './raft-module.js';
import { CI_SEED_COUNT } from './seed-suite.js';

interface Mutation {
  readonly name: string;
  readonly bug: string;
  /** File within src/raft. */
  readonly file: string;
  readonly search: string;
  readonly replace: string;
}

const MUTATIONS: readonly Mutation[] = [
  {
    name: 'votes-from-another-term',
    bug: 'a candidate counts vote responses from an earlier term (the stale-term check lets them through)',
    file: 'raft.ts',
    search: '} else if (m.term !== 0 && m.term < this.term) {',
    replace: '} else if (m.term !== 0 && m.term < this.term && m.type !== MessageType.VoteResponse) {',
  },
  {
    name: 'commit-previous-term-by-count',
    bug: 'the leader commits an entry of an earlier term by counting replicas (Figure 8: no current-term check)',
    file: 'raft-log.ts',
    search: 'if (index <= this.committed || this.maybeTerm(index) !== currentTerm) return false;',
    replace: 'if (index <= this.committed || this.maybeTerm(index) === undefined) return false;',
  },
  {
    name: 'vote-response-before-persist',
    bug: 'vote responses go out in `messages`, before the vote is on disk, instead of `messagesAfterPersist`',
    file: 'raft.ts',
    search: '  MessageType.AppendResponse,\n  MessageType.VoteResponse,\n',
    replace: '  MessageType.AppendResponse,\n',
  },
  {
    name: 'vote-never-persisted',
    bug: 'the hard state handed out for persisting forgets the vote',
    file: 'raft.ts',
    search: 'return { term: this.term, vote: this.vote, commit: this.log.committed };',
    replace: 'return { term: this.term, vote: NO_NODE, commit: this.log.committed };',
  },
  {
    name: 'vote-without-up-to-date-check',
    bug: 'a node grants its vote without checking that the candidate log is at least as up to date',
    file: 'raft.ts',
    search: 'this.log.isUpToDate(m.index, m.logTerm)',
    replace: 'true',
  },
  {
    name: 'append-without-consistency-check',
    bug: 'a follower appends entries without checking that its log matches at the preceding entry',
    file: 'raft-log.ts',
    search: 'if (!this.matchTerm(index, logTerm)) return undefined;',
    replace: 'if (index > this.lastIndex()) return undefined;',
  },
  {
    name: 'read-index-without-quorum-check',
    bug: 'a Safe ReadIndex is answered at once, without a heartbeat round confirming leadership',
    file: 'step-leader.ts',
    search: 'if (raft.config.readOnlyOption === ReadOnlyOption.LeaseBased) {\n    answerReadIndex',
    replace: 'if (raft.config.readOnlyOption !== ReadOnlyOption.LeaseBased) {\n    answerReadIndex',
  },
];

const SIMULATOR_DIRECTORY = fileURLToPath(new URL('.', import.meta.url));
const RAFT_DIRECTORY = fileURLToPath(new URL('../../src/raft', import.meta.url));
/** Seeds that also fail on the unmutated core are skipped, at most this many times per mutation. */
const BASELINE_FAILURES_SKIPPED_MAX = 20;
const MUTATION_TIMEOUT_MS = 20 * 60_000;
const VIOLATION_LINE = /^seed (\d+) violated (.+?) at tick (\d+): (.*)$/gm;

interface Outcome {
  readonly mutation: Mutation;
  readonly caught: Violation | null;
  readonly problem: string | null;
}

interface Violation {
  readonly seed: number;
  readonly property: string;
  readonly detail: string;
}

function mutatedCopy(source: string, mutation: Mutation): string {
  const directory = mkdtempSync(join(tmpdir(), `bvault-mutation-${mutation.name}-`));
  cpSync(source, directory, { recursive: true });
  const path = join(directory, mutation.file);
  const text = readFileSync(path, 'utf8');
  const occurrences = text.split(mutation.search).length - 1;
  if (occurrences !== 1) {
    rmSync(directory, { recursive: true, force: true });
    throw new Error(
      `mutation ${mutation.name}: the search text occurs ${occurrences} times in ${mutation.file}, expected exactly once; update the mutation to the current code`,
    );
  }
  writeFileSync(path, text.replace(mutation.search, mutation.replace));
  return directory;
}

/** The first violating seed in [from, from + count) against the core in `directory`, if any. */
function firstViolation(directory: string, from: number, count: number): Violation | null {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(SIMULATOR_DIRECTORY, 'cli.ts'), '--seeds', String(count), '--from', String(from), '--stop-at-first'],
    { env: { ...process.env, [RAFT_DIRECTORY_VARIABLE]: directory }, encoding: 'utf8', timeout: MUTATION_TIMEOUT_MS, maxBuffer: 1 << 28 },
  );
  if (run.error !== undefined) throw new Error(`the simulator run failed: ${run.error.message}`);
  if (run.status === 2) throw new Error(`the simulator could not run: ${run.stderr}`);
  const violations = [...run.stdout.matchAll(VIOLATION_LINE)].map((match) => ({
    seed: Number(match[1]),
    property: match[2]!,
    detail: match[4]!,
  }));
  // With several workers each stops at its own first violation; the lowest seed is the first.
  violations.sort((a, b) => a.seed - b.seed);
  return violations[0] ?? null;
}

/** The first seed that catches the mutation and passes on the unmutated core. */
function runMutation(source: string, mutation: Mutation, seeds: number): Outcome {
  let directory: string;
  try {
    directory = mutatedCopy(source, mutation);
  } catch (error) {
    return { mutation, caught: null, problem: (error as Error).message };
  }
  try {
    let from = 1;
    for (let skipped = 0; skipped <= BASELINE_FAILURES_SKIPPED_MAX && from <= seeds; skipped++) {
      const caught = firstViolation(directory, from, seeds - from + 1);
      if (caught === null) return { mutation, caught: null, problem: null };
      if (firstViolation(source, caught.seed, 1) === null) return { mutation, caught, problem: null };
      console.log(`  seed ${caught.seed} fails on the unmutated core as well; skipped`);
      from = caught.seed + 1;
    }
    return { mutation, caught: null, problem: `more than ${BASELINE_FAILURES_SKIPPED_MAX} seeds fail on the unmutated core` };
  } catch (error) {
    return { mutation, caught: null, problem: (error as Error).message };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

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
    console.log(`mutation ${mutation.name}: ${mutation.bug}`);
    const outcome = runMutation(values.source, mutation, seeds);
    if (outcome.caught !== null) {
      const { seed, property, detail } = outcome.caught;
      console.log(`  caught by seed ${seed}: ${property}: ${detail.split('\n')[0]}`);
      console.log(`  replay: ${RAFT_DIRECTORY_VARIABLE}=<mutated copy> npm run sim -- --seeds 1 --from ${seed} --trace`);
    } else {
      survivors += 1;
      console.log(`  NOT CAUGHT within ${seeds} seeds${outcome.problem === null ? '' : `: ${outcome.problem}`}`);
    }
  }
  console.log(`mutations ${mutations.length}, caught ${mutations.length - survivors}, survived ${survivors}`);
  process.exitCode = survivors > 0 ? 1 : 0;
}

main();
