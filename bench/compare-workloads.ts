// The workloads bench:compare runs against both systems, and how one run is made: the built
// `bvault bench` as its own process (so the load generator's CPU is its own and no loader
// runs in it), with --json, parsed back. Settings are etcd benchmark's defaults from its
// performance guide: 8-byte keys, 256-byte values. Writes go to the leader, as that guide's
// write figures do; reads are spread over all three members, as its read figures are.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { BenchResult } from '../src/bench/bench-result.js';
import { REPOSITORY_ROOT } from '../test/cluster/cluster-harness.js';
import { type ComparedCluster, leaderOf, processCpuMs } from './compare-clusters.js';

export const BUILT_CLI = join(REPOSITORY_ROOT, 'dist/src/cli/main.js');
/** Keys drawn from this many, so the range workloads read keys the puts wrote. */
export const COMPARED_KEY_SPACE = 10_000;
const COMMON_ARGUMENTS = ['--key-size', '8', '--val-size', '256', '--key-space', String(COMPARED_KEY_SPACE)];
/** A run may take its length plus this long (connecting, a slow tail) before it is killed. */
const RUN_GRACE_MS = 120_000;
/** A run of a number of operations may take this long before it is killed. */
const RUN_BY_TOTAL_TIMEOUT_MS = 1_800_000;

export interface ComparedWorkload {
  /** A short name to ask for it by (bench:profile --workload). */
  readonly id: string;
  readonly name: string;
  readonly args: readonly string[];
  readonly endpoints: 'leader' | 'every member';
}

export const COMPARED_WORKLOADS: readonly ComparedWorkload[] = [
  // One client's sequential calls: what a lone request waits for, batching aside.
  { id: 'put-1', name: 'put, 1 client', args: ['put', '--clients', '1', '--conns', '1'], endpoints: 'leader' },
  { id: 'range-l-1', name: 'range, linearizable, 1 client', args: ['range', '--clients', '1', '--conns', '1', '--consistency', 'l'], endpoints: 'leader' },
  { id: 'put-64', name: 'put, 64 clients', args: ['put', '--clients', '64', '--conns', '8'], endpoints: 'leader' },
  { id: 'put-256', name: 'put, 256 clients', args: ['put', '--clients', '256', '--conns', '32'], endpoints: 'leader' },
  // As clientv3 and the etcd3 package send: connections over every member, so two thirds of the
  // writes reach a follower.
  { id: 'put-64-spread', name: 'put, 64 clients, every member', args: ['put', '--clients', '64', '--conns', '9'], endpoints: 'every member' },
  { id: 'range-l', name: 'range, linearizable', args: ['range', '--clients', '64', '--conns', '9', '--consistency', 'l'], endpoints: 'every member' },
  { id: 'range-s', name: 'range, serializable', args: ['range', '--clients', '64', '--conns', '9', '--consistency', 's'], endpoints: 'every member' },
  { id: 'txn-put', name: 'txn-put, 64 clients', args: ['txn-put', '--clients', '64', '--conns', '8'], endpoints: 'leader' },
];

/** How long each run goes on: a time, or a number of operations. */
export type RunLength = { readonly durationMs: number } | { readonly total: number };

/** A run's result with the CPU time all of the system's members used during it. */
export interface ComparedResult extends BenchResult {
  readonly serverCpuMs: number;
}

export async function runComparedWorkload(cluster: ComparedCluster, workload: ComparedWorkload, length: RunLength): Promise<ComparedResult> {
  const members = workload.endpoints === 'leader' ? [await leaderOf(cluster)] : cluster.members;
  const endpoints = members.map((member) => member.grpcAddress).join(',');
  const serversCpuMs = async (): Promise<number> => (await Promise.all(cluster.members.map((member) => processCpuMs(member.pid)))).reduce((sum, ms) => sum + ms, 0);
  const before = await serversCpuMs();
  const result = await runBuiltBench([...workload.args, ...COMMON_ARGUMENTS, '--target', cluster.target, '--endpoints', endpoints], length);
  return { ...result, serverCpuMs: (await serversCpuMs()) - before };
}

/** `node dist/src/cli/main.js bench <args> --json`; a run with failed requests still reports. */
export async function runBuiltBench(args: readonly string[], length: RunLength): Promise<BenchResult> {
  const lengthArguments = 'durationMs' in length ? ['--duration', `${length.durationMs}ms`] : ['--total', String(length.total)];
  const child = spawn(process.execPath, [BUILT_CLI, 'bench', ...args, ...lengthArguments, '--json'], { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 'durationMs' in length ? length.durationMs + RUN_GRACE_MS : RUN_BY_TOTAL_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  if (code !== 0 && code !== 1) throw new Error(`bvault bench ${args.join(' ')} exited with ${code}:\n${stderr}`);
  return JSON.parse(stdout) as BenchResult;
}
