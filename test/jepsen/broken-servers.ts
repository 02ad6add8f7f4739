// Proof that the fault-injection suite catches a broken server: copies the repository's src
// into a temporary directory, breaks it on purpose by a text replacement, runs a short fault
// run against clusters of the copy (BVAULT_SERVER_ENTRY), and prints for each break whether
// the run failed and which checks failed it.
//
//   npx tsx test/jepsen/broken-servers.ts [--time 40] [--seed 1] [--only local-reads]
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPOSITORY_ROOT } from '../cluster/cluster-harness.js';

/** One text replacement in one file of the copy. */
interface Edit {
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

interface Break {
  readonly name: string;
  readonly description: string;
  /** Ways to make the break in the versions of the source it was written against; the first that fits is used. */
  readonly variants: readonly (readonly Edit[])[];
  /** The faults that give the break a chance to show. */
  readonly faults: string;
}

const BREAKS: readonly Break[] = [
  {
    name: 'local-reads',
    description: 'linearizable reads served from local state, without ReadIndex',
    variants: [
      [
        {
          file: 'src/node/raft-kv-node.ts',
          find: '  private async readBarrier(timeoutMs: number | undefined): Promise<void> {\n',
          replace: '  private async readBarrier(timeoutMs: number | undefined): Promise<void> {\n    if (timeoutMs !== -1) return;\n',
        },
      ],
    ],
    faults: 'partition,pause,kill',
  },
  {
    name: 'ack-before-fsync',
    description: 'append responses and votes sent before the entries and hard state they promise are persisted',
    variants: [
      // The Ready loop persists, then sends.
      [{ file: 'src/node/ready-loop.ts', find: '    await this.persist(ready);\n    this.send(ready.messagesAfterPersist);\n', replace: '    this.send(ready.messagesAfterPersist);\n    await this.persist(ready);\n' }],
      // ReadyPersistence sends once the writes settled: send when they are handed to the log instead.
      [
        { file: 'src/node/ready-persistence.ts', find: '        if (this.failure === undefined) this.parts.send(ready.messagesAfterPersist);\n', replace: '' },
        { file: 'src/node/ready-persistence.ts', find: '  private track(written: Promise<void>, ready: Ready): void {\n', replace: '  private track(written: Promise<void>, ready: Ready): void {\n    this.parts.send(ready.messagesAfterPersist);\n' },
      ],
    ],
    faults: 'slow-disk,kill',
  },
  {
    name: 'leader-counts-before-fsync',
    description: 'the leader counts its own entries toward the quorum when it appends them, before they are durable on its disk',
    variants: [
      [
        {
          file: 'src/raft/raft.ts',
          find: '    this.send({ type: MessageType.AppendResponse, to: this.id, index: lastIndex });\n',
          replace: '    this.tracker.progress.get(this.id)?.maybeUpdate(lastIndex);\n    this.maybeCommit();\n',
        },
      ],
    ],
    faults: 'slow-leader-disk,kill,partition',
  },
];

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

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { time: { type: 'string', default: '40' }, seed: { type: 'string', default: '1' }, only: { type: 'string' }, nodes: { type: 'string', default: '3' } } });
  const outcomes: string[] = [];
  for (const broken of BREAKS.filter((each) => values.only === undefined || each.name === values.only)) {
    console.log(`\n=== ${broken.name}: ${broken.description} (faults ${broken.faults})`);
    const root = await brokenCopy(broken);
    try {
      const { exitCode, output } = await runSuite(root, ['--nodes', values.nodes, '--time', values.time, '--faults', broken.faults, '--seed', values.seed]);
      console.log(output);
      const failed = failedChecks(output);
      const verdict = exitCode === 0 ? 'NOT caught: every check passed' : failed.length > 0 ? `caught by ${failed.join(', ')}` : `the run failed without a check failing (exit code ${exitCode}; see above)`;
      outcomes.push(`${broken.name}: ${verdict}`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
  console.log(`\n${outcomes.join('\n')}`);
  process.exitCode = outcomes.some((outcome) => !outcome.includes('caught by')) ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
