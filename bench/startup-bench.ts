// npm run bench:startup: where a member's start goes with many keys. Loads a three-member
// cluster (kept in --data-dir between runs, see large-cluster.ts), then kills one follower
// with kill -9 and starts it again, --restarts times: the last of them after dropping the
// kernel's page cache (when this process may), as after a reboot. For each restart it prints
// the steps the member timed itself (the startupMs of its 'node started' log line, also on
// /metrics as bvault_server_startup_step_seconds), and from the process's spawn: until the
// node started, until its APIs listened ('serving') and until /readyz answered 200. Prints
// figures only.
//   npm run bench:startup [-- --keys 1000000 --restarts 3 --data-dir DIR --skip-build]
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ServerProcess } from '../test/cluster/cluster-harness.js';
import { BUILT_SERVER_ENTRY, buildDist } from './build-dist.js';
import { dropPageCache, leaderOf, preparedCluster, startAll, stopAll } from './large-cluster.js';

const READY_TIMEOUT_MS = 300_000;

interface Restart {
  readonly pageCache: 'warm' | 'dropped';
  readonly stepsMs: Readonly<Record<string, number>>;
  readonly nodeStartedMs: number;
  readonly servingMs: number;
  readonly readyMs: number;
}

function parseOptions(): { keys: number; restarts: number; dataDir: string; build: boolean } {
  const { values } = parseArgs({ options: { keys: { type: 'string' }, restarts: { type: 'string' }, 'data-dir': { type: 'string' }, 'skip-build': { type: 'boolean' } }, strict: true });
  const keys = positive(values.keys ?? '1000000', '--keys');
  return { keys, restarts: positive(values.restarts ?? '3', '--restarts'), dataDir: values['data-dir'] ?? join(tmpdir(), `bvault-bench-large-${keys}`), build: values['skip-build'] !== true };
}

function positive(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

/** The first JSON log line with this message in the member's output since its last start. */
function logLine(member: ServerProcess, message: string): Record<string, unknown> {
  for (const line of member.log.split('\n')) {
    if (!line.startsWith('{')) continue;
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (parsed.msg === message) return parsed;
  }
  throw new Error(`${member.name} logged no '${message}' line; its log:\n${member.log}`);
}

async function restart(member: ServerProcess, pageCache: Restart['pageCache']): Promise<Restart> {
  await member.kill();
  if (pageCache === 'dropped' && !(await dropPageCache())) throw new Error('the page cache cannot be dropped (not root?); use fewer --restarts');
  const spawnedAtMs = Date.now();
  member.start();
  await member.waitUntilReady(READY_TIMEOUT_MS);
  const readyMs = Date.now() - spawnedAtMs;
  const started = logLine(member, 'node started');
  return {
    pageCache,
    stepsMs: started.startupMs as Record<string, number>,
    nodeStartedMs: (started.time as number) - spawnedAtMs,
    servingMs: (logLine(member, 'serving').time as number) - spawnedAtMs,
    readyMs,
  };
}

function report(keys: number, restarts: readonly Restart[]): void {
  const steps = Object.keys(restarts[0]?.stepsMs ?? {});
  console.log(`Restarts after kill -9 of a follower holding ${keys.toLocaleString('en-US')} keys of 256 B, in ms.\n`);
  console.log(`| | ${restarts.map((run, index) => `restart ${index + 1} (page cache ${run.pageCache})`).join(' | ')} |`);
  console.log(`|---|${restarts.map(() => '---:').join('|')}|`);
  for (const step of steps) console.log(`| ${step === 'total' ? 'all steps (RaftKvNode.open)' : step} | ${restarts.map((run) => (run.stepsMs[step] ?? 0).toFixed(1)).join(' | ')} |`);
  console.log(`| spawn → node started | ${restarts.map((run) => run.nodeStartedMs).join(' | ')} |`);
  console.log(`| spawn → APIs listening | ${restarts.map((run) => run.servingMs).join(' | ')} |`);
  console.log(`| spawn → ready (/readyz) | ${restarts.map((run) => run.readyMs).join(' | ')} |`);
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options.build) buildDist('bench:startup');
  process.env.BVAULT_SERVER_ENTRY ??= BUILT_SERVER_ENTRY;
  // The 'node started' and 'serving' lines are at info.
  process.env.BVAULT_LOG_LEVEL = 'info';
  const progress = (line: string): void => void process.stderr.write(`bench:startup: ${line}\n`);
  const cluster = await preparedCluster(options.dataDir, options.keys, progress);
  const restarts: Restart[] = [];
  try {
    await startAll(cluster);
    const leader = await leaderOf(cluster.members);
    const follower = cluster.members.find((member) => member !== leader) as ServerProcess;
    for (let run = 1; run <= options.restarts; run++) {
      const pageCache = run === options.restarts && options.restarts > 1 ? 'dropped' : 'warm';
      progress(`restart ${run} of ${follower.name} (page cache ${pageCache})...`);
      restarts.push(await restart(follower, pageCache));
    }
  } finally {
    await stopAll(cluster);
  }
  report(options.keys, restarts);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:startup: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
