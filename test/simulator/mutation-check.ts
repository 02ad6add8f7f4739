// Proof that a simulator's checkers have teeth: a deliberate bug is planted in a copy of the
// code it simulates (src/raft for the Raft simulator, src/ for the node simulator) by exact
// text replacement (the search text must occur exactly once, so a mutation whose target code
// changed fails loudly instead of silently testing nothing), the simulator runs against the
// copy, and the first seed that catches the bug and passes on the unmutated code is reported
// (a seed failing on both says nothing about the mutation).

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOURCE_DIRECTORY_VARIABLE } from './node/node-module.js';
import { RAFT_DIRECTORY_VARIABLE } from './raft-module.js';

export interface Mutation {
  readonly name: string;
  readonly bug: string;
  /** File within the simulated code's directory (src/raft, or src/). */
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

/** A simulator and the code it runs: where the code is, and how to point the simulator at a copy. */
export interface SimulatedCode {
  readonly directory: string;
  /** The environment variable naming the directory the simulator loads the code from. */
  readonly directoryVariable: string;
  /** The simulator's command-line flags that select it (`npm run sim -- <flags>`). */
  readonly simulatorFlags: readonly string[];
}

export const RAFT_CORE: SimulatedCode = {
  directory: fileURLToPath(new URL('../../src/raft', import.meta.url)),
  directoryVariable: RAFT_DIRECTORY_VARIABLE,
  simulatorFlags: [],
};

export const NODE: SimulatedCode = {
  directory: fileURLToPath(new URL('../../src', import.meta.url)),
  directoryVariable: SOURCE_DIRECTORY_VARIABLE,
  simulatorFlags: ['--node'],
};

const SIMULATOR_DIRECTORY = fileURLToPath(new URL('.', import.meta.url));
const NODE_MODULES = fileURLToPath(new URL('../../node_modules', import.meta.url));
/** Seeds that also fail on the unmutated code are skipped, at most this many times per mutation. */
const BASELINE_FAILURES_SKIPPED_MAX = 20;
const MUTATION_TIMEOUT_MS = 20 * 60_000;
const VIOLATION_LINE = /^seed (\d+) violated (.+?) at (?:tick \d+|\d+ ms): (.*)$/gm;

/** A copy of the code with the bug in it, beside a link to node_modules so that its imports resolve. */
function mutatedCopy(code: SimulatedCode, mutation: Mutation): { readonly root: string; readonly directory: string } {
  const root = mkdtempSync(join(tmpdir(), `bvault-mutation-${mutation.name}-`));
  const directory = join(root, basename(code.directory));
  cpSync(code.directory, directory, { recursive: true });
  symlinkSync(NODE_MODULES, join(root, 'node_modules'));
  const path = join(directory, mutation.file);
  const text = readFileSync(path, 'utf8');
  const occurrences = text.split(mutation.search).length - 1;
  if (occurrences !== 1) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(
      `mutation ${mutation.name}: the search text occurs ${occurrences} times in ${mutation.file}, expected exactly once; update the mutation to the current code`,
    );
  }
  writeFileSync(path, text.replace(mutation.search, mutation.replace));
  return { root, directory };
}

/** The first violating seed in [from, from + count) against the code in `directory`, if any. */
function firstViolation(code: SimulatedCode, directory: string, from: number, count: number): Violation | null {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(SIMULATOR_DIRECTORY, 'cli.ts'), ...code.simulatorFlags, '--seeds', String(count), '--from', String(from), '--stop-at-first'],
    { env: { ...process.env, [code.directoryVariable]: directory }, encoding: 'utf8', timeout: MUTATION_TIMEOUT_MS, maxBuffer: 1 << 28 },
  );
  if (run.error !== undefined) throw new Error(`the simulator run failed: ${run.error.message}`);
  if (run.status === 2 || run.signal !== null) throw new Error(`the simulator could not run: ${run.stderr.slice(-2_000)}`);
  const violations = [...run.stdout.matchAll(VIOLATION_LINE)].map((match) => ({
    seed: Number(match[1]),
    property: match[2]!,
    detail: match[3]!,
  }));
  // With several workers each stops at its own first violation; the lowest seed is the first.
  violations.sort((a, b) => a.seed - b.seed);
  return violations[0] ?? null;
}

/** The first seed in [1, seeds] that catches the mutation and passes on the unmutated code. */
export function runMutation(code: SimulatedCode, mutation: Mutation, seeds: number): MutationOutcome {
  let copy: { readonly root: string; readonly directory: string };
  try {
    copy = mutatedCopy(code, mutation);
  } catch (error) {
    return { mutation, caught: null, problem: (error as Error).message };
  }
  try {
    let from = 1;
    for (let skipped = 0; skipped <= BASELINE_FAILURES_SKIPPED_MAX && from <= seeds; skipped++) {
      const caught = firstViolation(code, copy.directory, from, seeds - from + 1);
      if (caught === null) return { mutation, caught: null, problem: null };
      if (firstViolation(code, code.directory, caught.seed, 1) === null) return { mutation, caught, problem: null };
      console.log(`  seed ${caught.seed} fails on the unmutated code as well; skipped`);
      from = caught.seed + 1;
    }
    return { mutation, caught: null, problem: `more than ${BASELINE_FAILURES_SKIPPED_MAX} seeds fail on the unmutated code` };
  } catch (error) {
    return { mutation, caught: null, problem: (error as Error).message };
  } finally {
    rmSync(copy.root, { recursive: true, force: true });
  }
}

/** What a person reads: which seed caught the mutation and how to replay it, or that it survived. */
export function describeOutcome(code: SimulatedCode, outcome: MutationOutcome, seeds: number): string {
  const header = `mutation ${outcome.mutation.name}: ${outcome.mutation.bug}`;
  if (outcome.caught === null) {
    return `${header}\n  NOT CAUGHT within ${seeds} seeds${outcome.problem === null ? '' : `: ${outcome.problem}`}`;
  }
  const { seed, property, detail } = outcome.caught;
  return [
    header,
    `  caught by seed ${seed}: ${property}: ${detail.split('\n')[0]}`,
    `  replay: ${code.directoryVariable}=<mutated copy> npm run sim -- ${[...code.simulatorFlags, ''].join(' ')}--seeds 1 --from ${seed} --trace`,
  ].join('\n');
}
