// `npx tsx test/simulator/node-mutations.ts [--seeds N] [--only NAME]`: proves that the node
// simulator has teeth. For each deliberate bug in the node (src/node, src/storage, or the
// Raft core as the node drives it) it copies src/ to a temporary directory, applies the bug by
// exact text replacement (the search text must occur exactly once, so a mutation whose target
// changed fails loudly instead of testing nothing), runs node seeds against the copy, and
// reports the first seed that caught it and that passes on the unmutated source (a seed
// failing on both says nothing about the mutation). Exit code 1 if any mutation survived.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SOURCE_DIRECTORY_VARIABLE } from './node/node-module.js';

interface NodeMutation {
  readonly name: string;
  readonly bug: string;
  /** File within src/. */
  readonly file: string;
  readonly search: string;
  readonly replace: string;
}

const MUTATIONS: readonly NodeMutation[] = [
  {
    name: 'leader-counts-own-append',
    bug: 'the leader counts its own entry toward the quorum at append, before its fsync (the bug a7d07dd fixed)',
    file: 'raft/raft.ts',
    search: '    this.send({ type: MessageType.AppendResponse, to: this.id, index: lastIndex });\n    return true;',
    replace: '    this.tracker.progress.get(this.id)?.maybeUpdate(lastIndex);\n    this.maybeCommit();\n    return true;',
  },
  {
    name: 'candidate-counts-own-vote-at-once',
    bug: 'a candidate counts its own vote before its term and vote are durable (the bug 9cedd87 fixed)',
    file: 'raft/raft.ts',
    search: '      this.send({ type: MessageType.VoteResponse, to: this.id, term: this.term });\n    } else if (this.poll(this.id, true) === VoteResult.Won) {',
    replace: '      if (this.poll(this.id, true) === VoteResult.Won) this.becomeLeader();\n    } else if (this.poll(this.id, true) === VoteResult.Won) {',
  },
  {
    name: 'acknowledge-before-fsync',
    bug: 'a Ready\'s messagesAfterPersist (append acknowledgements, votes) go out when its writes are handed out, not once durable',
    file: 'node/ready-persistence.ts',
    search: '      this.track(this.write(ready), ready);\n      return;',
    replace: '      this.parts.send(ready.messagesAfterPersist);\n      this.track(this.write(ready), { ...ready, messagesAfterPersist: [] });\n      return;',
  },
  {
    name: 'apply-before-durable',
    bug: 'committed entries are applied without waiting until they are durable on this node',
    file: 'node/ready-loop.ts',
    search: '      await this.persistence.durableThrough(lastCommitted.index);\n',
    replace: '',
  },
  {
    name: 'read-before-apply',
    bug: 'a ReadIndex read is served once the leader confirms its index, before this node applied up to it',
    file: 'node/read-index-batcher.ts',
    search: 'if (index <= appliedIndex) {',
    replace: 'if (index >= 0) {',
  },
  {
    name: 'vote-not-persisted',
    bug: 'the hard state written to the log forgets the vote',
    file: 'node/ready-persistence.ts',
    search: 'writes.push(logStore.setHardState(ready.hardState,',
    replace: 'writes.push(logStore.setHardState({ ...ready.hardState, vote: 0 as typeof ready.hardState.vote },',
  },
  {
    name: 'wal-accepts-bad-crc',
    bug: 'a WAL record whose CRC does not match is read as intact',
    file: 'storage/wal-record.ts',
    search: '  if (expected !== actual) return { intact: false, reason: `CRC mismatch (stored ${expected}, computed ${actual})` };\n',
    replace: '',
  },
];

/** Seeds searched per mutation by default. */
const SEEDS_DEFAULT = 300;
const SIMULATOR_DIRECTORY = fileURLToPath(new URL('.', import.meta.url));
const SOURCE_DIRECTORY = fileURLToPath(new URL('../../src', import.meta.url));
const NODE_MODULES = fileURLToPath(new URL('../../node_modules', import.meta.url));
/** Seeds that also fail on the unmutated source are skipped, at most this many times per mutation. */
const BASELINE_FAILURES_SKIPPED_MAX = 5;
const RUN_TIMEOUT_MS = 5 * 60_000;
const VIOLATION_LINE = /^seed (\d+) violated (.+?) at (\d+) ms: (.*)$/gm;

interface Violation {
  readonly seed: number;
  readonly property: string;
  readonly detail: string;
}

interface Outcome {
  readonly caught: Violation | null;
  readonly problem: string | null;
  readonly elapsedMs: number;
}

/** A copy of src/ with the bug in it, beside a link to node_modules so its imports resolve. */
function mutatedCopy(mutation: NodeMutation): { root: string; source: string } {
  const root = mkdtempSync(join(tmpdir(), `bvault-node-mutation-${mutation.name}-`));
  const source = join(root, 'src');
  cpSync(SOURCE_DIRECTORY, source, { recursive: true });
  symlinkSync(NODE_MODULES, join(root, 'node_modules'));
  const path = join(source, mutation.file);
  const text = readFileSync(path, 'utf8');
  const occurrences = text.split(mutation.search).length - 1;
  if (occurrences !== 1) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`mutation ${mutation.name}: the search text occurs ${occurrences} times in src/${mutation.file}, expected exactly once; update the mutation to the current code`);
  }
  writeFileSync(path, text.replace(mutation.search, mutation.replace));
  return { root, source };
}

/** The first violating seed in [from, from + count) against the source in `directory`. */
function firstViolation(directory: string, from: number, count: number): Violation | null {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(SIMULATOR_DIRECTORY, 'cli.ts'), '--node', '--seeds', String(count), '--from', String(from), '--stop-at-first'],
    { env: { ...process.env, [SOURCE_DIRECTORY_VARIABLE]: directory }, encoding: 'utf8', timeout: RUN_TIMEOUT_MS, maxBuffer: 1 << 28 },
  );
  if (run.error !== undefined) throw new Error(`the node simulator run failed: ${run.error.message}`);
  if (run.status === 2 || run.signal !== null) throw new Error(`the node simulator could not run: ${run.stderr.slice(-2_000)}`);
  const violations = [...run.stdout.matchAll(VIOLATION_LINE)].map((match) => ({ seed: Number(match[1]), property: match[2]!, detail: match[4]! }));
  // Each worker stops at its own first violation; the lowest seed is the first.
  violations.sort((a, b) => a.seed - b.seed);
  return violations[0] ?? null;
}

function runMutation(mutation: NodeMutation, seeds: number): Outcome {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  let copy: { root: string; source: string };
  try {
    copy = mutatedCopy(mutation);
  } catch (error) {
    return { caught: null, problem: (error as Error).message, elapsedMs: elapsed() };
  }
  try {
    let from = 1;
    for (let skipped = 0; skipped <= BASELINE_FAILURES_SKIPPED_MAX && from <= seeds; skipped++) {
      const caught = firstViolation(copy.source, from, seeds - from + 1);
      if (caught === null) return { caught: null, problem: null, elapsedMs: elapsed() };
      if (firstViolation(SOURCE_DIRECTORY, caught.seed, 1) === null) return { caught, problem: null, elapsedMs: elapsed() };
      console.log(`  seed ${caught.seed} fails on the unmutated source as well; skipped`);
      from = caught.seed + 1;
    }
    return { caught: null, problem: `more than ${BASELINE_FAILURES_SKIPPED_MAX} seeds fail on the unmutated source`, elapsedMs: elapsed() };
  } catch (error) {
    return { caught: null, problem: (error as Error).message, elapsedMs: elapsed() };
  } finally {
    rmSync(copy.root, { recursive: true, force: true });
  }
}

function main(): void {
  const { values } = parseArgs({ options: { seeds: { type: 'string', default: String(SEEDS_DEFAULT) }, only: { type: 'string' } } });
  const seeds = Number(values.seeds);
  const mutations = MUTATIONS.filter((mutation) => values.only === undefined || mutation.name === values.only);
  if (mutations.length === 0) throw new Error(`no node mutation is named ${values.only}`);
  let survivors = 0;
  for (const mutation of mutations) {
    console.log(`mutation ${mutation.name}: ${mutation.bug}`);
    const outcome = runMutation(mutation, seeds);
    const seconds = (outcome.elapsedMs / 1000).toFixed(1);
    if (outcome.caught !== null) {
      const { seed, property, detail } = outcome.caught;
      console.log(`  caught by seed ${seed} in ${seconds} s: ${property}: ${detail.split('\n')[0]}`);
      console.log(`  replay: ${SOURCE_DIRECTORY_VARIABLE}=<mutated copy of src> npm run sim -- --node --seeds 1 --from ${seed} --trace`);
    } else {
      survivors++;
      console.log(`  NOT CAUGHT within ${seeds} seeds (${seconds} s)${outcome.problem === null ? '' : `: ${outcome.problem}`}`);
    }
  }
  console.log(`node mutations ${mutations.length}, caught ${mutations.length - survivors}, survived ${survivors}`);
  process.exitCode = survivors > 0 ? 1 : 0;
}

main();
