// npm run bench:restart: how soon a member killed with kill -9 serves again, and where its
// start goes. A three-member cluster of the build holding N keys of 256 B (kept in --data-dir
// between runs, see large-cluster.ts) loses, in each round, a follower and then the leader to
// kill -9; each is started again at once on its data directory. For every restart it prints
// the time from starting the process to listening, to ready, and to a first completed write
// and read sent to it (restart-timing.ts); the phases before listening from the member's
// 'serving' log line (loading, node open, APIs); and the steps of opening the node from its
// 'node started' line (the WAL replay, LevelDB, ...). Prints figures only. Usage:
//   npm run bench:restart [-- --keys 100000 --rounds 3 --member both|follower|leader
//                           --drop-page-cache --data-dir DIR --skip-build]
import { parseArgs } from 'node:util';
import type { ServerProcess } from '../test/cluster/cluster-harness.js';
import { positive } from './bench-options.js';
import { BUILT_SERVER_ENTRY, buildDist } from './build-dist.js';
import { median } from './compare-report.js';
import { defaultClusterRoot, dropPageCache, type LargeCluster, leaderOf, preparedCluster, startAll, stopAll, VALUE_BYTES, waitForSameAppliedIndex } from './large-cluster.js';
import { describeRestart, listeningToReadyMs, type RestartTimings, timeRestart } from './restart-timing.js';

/** Generous: with --drop-page-cache and 1,000,000 keys a loaded machine takes seconds. */
const RESTART_TIMEOUT_MS = 300_000;
const ROLES = ['follower', 'leader'] as const;
type Role = (typeof ROLES)[number];

interface Options {
  readonly keys: number;
  readonly rounds: number;
  readonly roles: readonly Role[];
  readonly dropPageCache: boolean;
  readonly dataDir: string;
  readonly build: boolean;
}

/** Where the time before listening went, as the member logs it with 'serving' (src/server.ts). */
interface StartupPhases {
  readonly loadingMs: number;
  readonly nodeOpenMs: number;
  readonly apiStartMs: number;
}

interface Restart extends RestartTimings, StartupPhases {
  /** The steps of opening the node, from its 'node started' line (src/observability/startup-steps.ts). */
  readonly stepsMs: Readonly<Record<string, number>>;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      keys: { type: 'string' },
      rounds: { type: 'string' },
      member: { type: 'string' },
      'drop-page-cache': { type: 'boolean' },
      'data-dir': { type: 'string' },
      'skip-build': { type: 'boolean' },
    },
    strict: true,
  });
  const keys = positive(values.keys ?? '100000', '--keys');
  const member = values.member ?? 'both';
  if (member !== 'both' && !(ROLES as readonly string[]).includes(member)) throw new Error(`--member must be both, follower or leader, got ${JSON.stringify(member)}`);
  return {
    keys,
    rounds: positive(values.rounds ?? '3', '--rounds'),
    roles: member === 'both' ? ROLES : [member as Role],
    dropPageCache: values['drop-page-cache'] === true,
    dataDir: values['data-dir'] ?? defaultClusterRoot(keys),
    build: values['skip-build'] !== true,
  };
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

async function killAndRestart(cluster: LargeCluster, role: Role, pageCacheDropped: boolean): Promise<Restart> {
  const leader = await leaderOf(cluster.members);
  const member = role === 'leader' ? leader : (cluster.members.find((candidate) => candidate !== leader) as ServerProcess);
  await member.kill();
  if (pageCacheDropped && !(await dropPageCache())) throw new Error('--drop-page-cache: the page cache cannot be dropped (this needs root outside a container); run without it');
  const timings = await timeRestart(member, RESTART_TIMEOUT_MS);
  const serving = logLine(member, 'serving') as unknown as StartupPhases;
  const restart: Restart = {
    ...timings,
    loadingMs: serving.loadingMs,
    nodeOpenMs: serving.nodeOpenMs,
    apiStartMs: serving.apiStartMs,
    stepsMs: logLine(member, 'node started').startupMs as Record<string, number>,
  };
  console.log(`  ${role.padEnd(8)} ${describeRestart(timings)}; before listening: loading ${restart.loadingMs} ms, node open ${restart.nodeOpenMs} ms, APIs ${restart.apiStartMs} ms`);
  // The next restart starts from a settled cluster, as a fault in a steady one would.
  await waitForSameAppliedIndex(cluster.members);
  return restart;
}

function summarize(role: Role, restarts: readonly Restart[]): void {
  const figure = (pick: (restart: Restart) => number): string => {
    const values = restarts.map(pick);
    return `median ${Math.round(median(values))} ms, min ${Math.round(Math.min(...values))} ms, max ${Math.round(Math.max(...values))} ms`;
  };
  console.log(`the ${role} killed and restarted (${restarts.length} restarts${role === 'leader' ? '; it rejoins as a follower of the next leader' : ''}):`);
  console.log(`  process start -> listening:    ${figure((restart) => restart.listeningMs)}`);
  console.log(`    of which loading:            ${figure((restart) => restart.loadingMs)}`);
  console.log(`    of which node open:          ${figure((restart) => restart.nodeOpenMs)}`);
  console.log(`    of which APIs:               ${figure((restart) => restart.apiStartMs)}`);
  console.log(`  listening -> ready:            ${figure(listeningToReadyMs)}`);
  console.log(`  process start -> ready:        ${figure((restart) => restart.readyMs)}`);
  console.log(`  process start -> first write:  ${figure((restart) => restart.firstWriteMs)}`);
  console.log(`  process start -> first read:   ${figure((restart) => restart.firstReadMs)}`);
  const steps = Object.keys(restarts[0]?.stepsMs ?? {});
  console.log(`  node open steps, median ms:    ${steps.map((step) => `${step} ${median(restarts.map((restart) => restart.stepsMs[step] ?? 0)).toFixed(1)}`).join(', ')}`);
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options.build) buildDist('bench:restart');
  process.env.BVAULT_SERVER_ENTRY ??= BUILT_SERVER_ENTRY;
  // The 'node started' and 'serving' lines are at info.
  process.env.BVAULT_LOG_LEVEL = 'info';
  const progress = (line: string): void => void process.stderr.write(`bench:restart: ${line}\n`);
  const cluster = await preparedCluster(options.dataDir, options.keys, progress);
  const restarts = new Map<Role, Restart[]>(options.roles.map((role) => [role, []]));
  try {
    await startAll(cluster);
    await waitForSameAppliedIndex(cluster.members);
    const pageCache = options.dropPageCache ? 'the page cache dropped before each restart' : 'the page cache warm';
    console.log(`kill -9 and an immediate restart, ${options.keys.toLocaleString('en-US')} keys of ${VALUE_BYTES} B, three members of the build on loopback, ${pageCache}:`);
    for (let round = 1; round <= options.rounds; round++) {
      progress(`round ${round} of ${options.rounds}`);
      for (const role of options.roles) restarts.get(role)?.push(await killAndRestart(cluster, role, options.dropPageCache));
    }
  } finally {
    await stopAll(cluster);
  }
  for (const [role, samples] of restarts) summarize(role, samples);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:restart: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
