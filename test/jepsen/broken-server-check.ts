// Runs the fault-injection suite against a server broken on purpose: copies the repository's
// committed src into a temporary directory, breaks it by a text replacement, and runs a short
// fault run against clusters of the copy (BVAULT_SERVER_ENTRY, through tsx). A break is caught
// when a check fails the run; a run that fails without a failed check does not count.

import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPOSITORY_ROOT } from '../cluster/cluster-harness.js';
import type { Break } from './server-breaks.js';

export interface BreakRunOptions {
  readonly timeSeconds: number;
  readonly seed: number;
  readonly nodes: number;
}

/**
 * A broken cluster often never heals, nor do its watchers catch up, and each would take the
 * suite's whole wait for it; half a minute is ample for a cluster that can heal, even on a
 * loaded machine.
 */
const HEAL_TIMEOUT_SECONDS = 30;

export interface BreakOutcome {
  /** The checks that failed the first run that caught the break; empty if no run did. */
  readonly caughtBy: readonly string[];
  /** One line per run: its seed and what it showed. */
  readonly runs: readonly string[];
  /** The printed report of each run. */
  readonly output: string;
}

/** Applies the first variant whose every text is found; throws when none fits. */
async function applyBreak(root: string, broken: Break): Promise<void> {
  for (const variant of broken.variants) {
    const sources = await Promise.all(variant.map((edit) => readFile(join(root, edit.file), 'utf8').catch(() => '')));
    if (!variant.every((edit, index) => sources[index]?.includes(edit.find))) continue;
    for (const edit of variant) {
      const path = join(root, edit.file);
      await writeFile(path, (await readFile(path, 'utf8')).replace(edit.find, edit.replace));
    }
    return;
  }
  throw new Error(`the source no longer contains the text the ${broken.name} break replaces; update the break`);
}

/** The committed src (HEAD, not work in progress), resolving its packages from this repository's node_modules. */
async function brokenCopy(broken: Break): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), `bvault-broken-${broken.name}-`));
  await run('sh', ['-c', `git archive HEAD src package.json tsconfig.json | tar -x -C '${root}'`]);
  // The generated protobuf code is not committed; it comes from this repository's proto/.
  await cp(join(REPOSITORY_ROOT, 'src/generated'), join(root, 'src/generated'), { recursive: true });
  await symlink(join(REPOSITORY_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  await applyBreak(root, broken);
  return root;
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

interface RunOutcome {
  readonly exitCode: number | null;
  readonly output: string;
}

/** One run of the suite's command line against the copy in `root`; the suite bounds its own time. */
function runSuite(root: string, args: readonly string[]): Promise<RunOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPOSITORY_ROOT, 'test/jepsen/cli.ts'), ...args], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, BVAULT_SERVER_ENTRY: join(root, 'src/cli/main.ts') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve({ exitCode, output }));
  });
}

/** The checks the report marks illegal (or undecided where they must decide), by name. */
function failedChecks(report: string): string[] {
  return [...report.matchAll(/^ {2}(illegal|unknown) +(.+?) {2,}/gm)].map((match) => `${match[2]} (${match[1]})`);
}

/** Runs the suite against the break up to `broken.runsMax` times, with successive seeds, until a check catches it. */
export async function checkBreak(broken: Break, options: BreakRunOptions): Promise<BreakOutcome> {
  const root = await brokenCopy(broken);
  const runs: string[] = [];
  let output = '';
  try {
    for (let run = 0; run < broken.runsMax; run++) {
      const seed = options.seed + run;
      const args = ['--nodes', String(options.nodes), '--time', String(options.timeSeconds), '--faults', broken.faults, '--seed', String(seed), '--heal-timeout', String(HEAL_TIMEOUT_SECONDS)];
      const outcome = await runSuite(root, args);
      output += outcome.output;
      const failed = failedChecks(outcome.output);
      runs.push(`seed ${seed}: ${describeRun(outcome.exitCode, failed)}`);
      if (outcome.exitCode !== 0 && failed.length > 0) return { caughtBy: failed, runs, output };
    }
    return { caughtBy: [], runs, output };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function describeRun(exitCode: number | null, failed: readonly string[]): string {
  if (exitCode === 0) return 'every check passed';
  if (failed.length > 0) return `caught by ${failed.join(', ')}`;
  return `the run failed without a check failing (exit code ${exitCode})`;
}
