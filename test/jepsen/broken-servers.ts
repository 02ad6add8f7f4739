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

interface Break {
  readonly name: string;
  readonly description: string;
  readonly file: string;
  readonly find: string;
  readonly replace: string;
  /** The faults that give the break a chance to show. */
  readonly faults: string;
}

const BREAKS: readonly Break[] = [
  {
    name: 'local-reads',
    description: 'linearizable reads served from local state, without ReadIndex',
    file: 'src/node/raft-kv-node.ts',
    find: '  private async readBarrier(timeoutMs: number | undefined): Promise<void> {\n',
    replace: '  private async readBarrier(timeoutMs: number | undefined): Promise<void> {\n    if (timeoutMs !== -1) return;\n',
    faults: 'partition,pause,kill',
  },
  {
    name: 'ack-before-fsync',
    description: 'append responses and votes sent before the entries and hard state are persisted',
    file: 'src/node/ready-loop.ts',
    find: '    await this.persist(ready);\n    this.send(ready.messagesAfterPersist);\n',
    replace: '    this.send(ready.messagesAfterPersist);\n    await this.persist(ready);\n',
    faults: 'slow-disk,kill',
  },
];

/** A copy of src that resolves its packages from this repository's node_modules. */
async function brokenCopy(broken: Break): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), `bvault-broken-${broken.name}-`));
  await cp(join(REPOSITORY_ROOT, 'src'), join(root, 'src'), { recursive: true });
  for (const file of ['package.json', 'tsconfig.json']) await cp(join(REPOSITORY_ROOT, file), join(root, file));
  await symlink(join(REPOSITORY_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  const path = join(root, broken.file);
  const source = await readFile(path, 'utf8');
  if (!source.includes(broken.find)) throw new Error(`${broken.file} no longer contains the text the ${broken.name} break replaces; update the break`);
  await writeFile(path, source.replace(broken.find, broken.replace));
  return root;
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
