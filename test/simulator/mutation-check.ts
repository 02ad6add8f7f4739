// Proof that the simulator's checkers have teeth: a deliberate bug is planted in a copy of
// src/raft by exact text replacement (the search text must occur exactly once, so a mutation
// whose target code changed fails loudly instead of silently testing nothing), the simulator
// runs against the copy, and the first seed that catches the bug and passes on the unmutated
// core is reported (a seed failing on both says nothing about the mutation).

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RAFT_DIRECTORY_VARIABLE } from './raft-module.js';

export interface Mutation {
  readonly name: string;
  readonly bug: string;
  /** File within src/raft. */
  readonly file: string;
  readonly search: string;
  readonly replace: string;
}

export interface MutationOutcome {
  readonly mutation: Mutation;
  readonly caught: Violation | null;
  readonly problem: string | null;
}

export interface Violation {
  readonly seed: number;
  readonly property: string;
  readonly detail: string;
}

export const RAFT_DIRECTORY = fileURLToPath(new URL('../../src/raft', import.meta.url));
const SIMULATOR_DIRECTORY = fileURLToPath(new URL('.', import.meta.url));
/** Seeds that also fail on the unmutated core are skipped, at most this many times per mutation. */
const BASELINE_FAILURES_SKIPPED_MAX = 20;
const MUTATION_TIMEOUT_MS = 20 * 60_000;
const VIOLATION_LINE = /^seed (\d+) violated (.+?) at tick (\d+): (.*)$/gm;

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

/** The first seed in [1, seeds] that catches the mutation and passes on the unmutated core in `source`. */
export function runMutation(source: string, mutation: Mutation, seeds: number): MutationOutcome {
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

/** What a person reads: which seed caught the mutation and how to replay it, or that it survived. */
export function describeOutcome(outcome: MutationOutcome, seeds: number): string {
  const header = `mutation ${outcome.mutation.name}: ${outcome.mutation.bug}`;
  if (outcome.caught === null) {
    return `${header}\n  NOT CAUGHT within ${seeds} seeds${outcome.problem === null ? '' : `: ${outcome.problem}`}`;
  }
  const { seed, property, detail } = outcome.caught;
  return [
    header,
    `  caught by seed ${seed}: ${property}: ${detail.split('\n')[0]}`,
    `  replay: ${RAFT_DIRECTORY_VARIABLE}=<mutated copy> npm run sim -- --seeds 1 --from ${seed} --trace`,
  ].join('\n');
}
