// Start-up after kill -9, on a three-member cluster of the build holding N keys of 256 B
// (default 100,000): each round kills a follower with kill -9 and restarts it at once, then
// does the same to the leader, and prints for each restart the time from starting the
// process to listening, to ready, and to a first completed write and read sent to it
// (restart-timing.ts), and where the time to listening went as the member's own 'serving' log
// line says (loading modules and configuration, opening the node, starting the APIs). Prints
// figures only. Usage:
//   npm run bench:restart [-- --keys 100000 --rounds 5]
import { parseArgs } from 'node:util';
import { TestCluster, type ServerProcess, waitFor } from '../test/cluster/cluster-harness.js';
import { BUILT_SERVER_ENTRY, buildDist } from './build-dist.js';
import { runBuiltBench } from './compare-workloads.js';
import { describeRestart, listeningToReadyMs, type RestartTimings, timeRestart } from './restart-timing.js';

const LOAD_TXN_OPERATIONS = 128;
const LOAD_CLIENTS = 8;
const VALUE_BYTES = 256;
const RESTART_TIMEOUT_MS = 60_000;
const CATCH_UP_TIMEOUT_MS = 120_000;

function positiveOption(value: string | undefined, name: string, fallback: number): number {
  const parsed = value === undefined ? fallback : Number(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive integer, got ${String(value)}`);
  return parsed;
}

/** Waits until every member has applied the same index, so a restart starts from a settled cluster. */
async function waitForSettledCluster(cluster: TestCluster): Promise<void> {
  await waitFor('every member to apply the same index', CATCH_UP_TIMEOUT_MS, async () => {
    const statuses = await Promise.all(cluster.members.map((member) => member.status()));
    return new Set(statuses.map((status) => status.appliedIndex)).size === 1 ? true : undefined;
  });
}

interface StartupPhases {
  readonly loadingMs: number;
  readonly nodeOpenMs: number;
  readonly apiStartMs: number;
}

/** The phases the member logged with 'serving' (src/server.ts) in its current process's output. */
function startupPhasesOf(member: ServerProcess): StartupPhases | undefined {
  for (const line of member.log.split('\n').reverse()) {
    if (!line.includes('"serving"')) continue;
    const parsed = JSON.parse(line) as Partial<StartupPhases>;
    if (parsed.loadingMs !== undefined && parsed.nodeOpenMs !== undefined && parsed.apiStartMs !== undefined) return parsed as StartupPhases;
  }
  return undefined;
}

async function killAndTime(cluster: TestCluster, member: ServerProcess, role: string): Promise<RestartTimings & Partial<StartupPhases>> {
  await member.kill();
  const timings = await timeRestart(member, RESTART_TIMEOUT_MS);
  const phases = startupPhasesOf(member);
  const phasesText = phases === undefined ? '' : `; before listening: loading ${phases.loadingMs} ms, node open ${phases.nodeOpenMs} ms, APIs ${phases.apiStartMs} ms`;
  console.log(`  ${role} ${describeRestart(timings)}${phasesText}`);
  await waitForSettledCluster(cluster);
  return { ...timings, ...phases };
}

function summarize(role: string, samples: readonly (RestartTimings & Partial<StartupPhases>)[]): void {
  const figure = (pick: (timings: RestartTimings & Partial<StartupPhases>) => number): string => {
    const sorted = samples.map(pick).sort((a, b) => a - b);
    return `median ${Math.round(sorted[Math.floor(sorted.length / 2)] as number)} ms, max ${Math.round(sorted[sorted.length - 1] as number)} ms`;
  };
  console.log(`${role} (${samples.length} restarts):`);
  console.log(`  process start -> listening:    ${figure((timings) => timings.listeningMs)}`);
  console.log(`    of which loading:            ${figure((timings) => timings.loadingMs ?? Number.NaN)}`);
  console.log(`    of which node open:          ${figure((timings) => timings.nodeOpenMs ?? Number.NaN)}`);
  console.log(`    of which APIs:               ${figure((timings) => timings.apiStartMs ?? Number.NaN)}`);
  console.log(`  listening -> ready:            ${figure(listeningToReadyMs)}`);
  console.log(`  process start -> ready:        ${figure((timings) => timings.readyMs)}`);
  console.log(`  process start -> first write:  ${figure((timings) => timings.firstWriteMs)}`);
  console.log(`  process start -> first read:   ${figure((timings) => timings.firstReadMs)}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { keys: { type: 'string' }, rounds: { type: 'string' } } });
  const keys = positiveOption(values.keys, 'keys', 100_000);
  const rounds = positiveOption(values.rounds, 'rounds', 5);
  buildDist('bench:restart');
  process.env.BVAULT_SERVER_ENTRY = BUILT_SERVER_ENTRY;
  // Info-level logs carry the 'serving' line with the start-up phases.
  const cluster = await TestCluster.start({ size: 3, prefix: 'restart', memberOptions: () => ({ environment: { BVAULT_LOG_LEVEL: 'info' } }) });
  try {
    const leader = await cluster.leader();
    process.stderr.write(`bench:restart: loading ${keys} keys of ${VALUE_BYTES} B through ${leader.name}...\n`);
    await runBuiltBench(
      ['txn-put', '--txn-ops', String(LOAD_TXN_OPERATIONS), '--sequential-keys', '--key-space', String(keys), '--key-size', '8', '--val-size', String(VALUE_BYTES), '--clients', String(LOAD_CLIENTS), '--conns', '1', '--target', 'beaver', '--endpoints', leader.grpcAddress],
      { total: Math.ceil(keys / LOAD_TXN_OPERATIONS) },
    );
    await waitForSettledCluster(cluster);
    console.log(`kill -9 and an immediate restart, ${keys} keys of ${VALUE_BYTES} B, three members of the build on loopback:`);
    const followers: (RestartTimings & Partial<StartupPhases>)[] = [];
    const leaders: (RestartTimings & Partial<StartupPhases>)[] = [];
    for (let round = 1; round <= rounds; round++) {
      process.stderr.write(`bench:restart: round ${round} of ${rounds}\n`);
      const currentLeader = await cluster.leader();
      const follower = cluster.members.find((member) => member !== currentLeader) as ServerProcess;
      followers.push(await killAndTime(cluster, follower, 'follower'));
      leaders.push(await killAndTime(cluster, await cluster.leader(), 'leader  '));
    }
    summarize('a follower killed and restarted', followers);
    summarize('the leader killed and restarted (it rejoins as a follower of the next leader)', leaders);
  } finally {
    await cluster.destroy();
  }
}

await main();
