// Memory and restart, measured by `npm run bench:compare --
// --memory` on each system in turn: load N keys of 256 B (default 1,000,000) through the
// bench tool's txn-put path (128 puts on consecutive keys per transaction, etcd's and our
// default transaction limit), read every member's resident memory, then kill -9 one follower,
// start it again on its data and time it until it is ready (Beaver-Vault's /readyz, etcd's
// /health: each says the member serves requests).
import type { BenchResult } from '../src/bench/bench-result.js';
import { sleep } from '../test/cluster/cluster-harness.js';
import { type ComparedCluster, type ComparedMember, leaderOf, residentMemoryMiB } from './compare-clusters.js';
import { runBuiltBench } from './compare-workloads.js';

const LOAD_TXN_OPERATIONS = 128;
const LOAD_CLIENTS = 8;
const VALUE_BYTES = 256;
/** Followers apply the tail of the load meanwhile, and the leader's batches settle. */
const SETTLE_AFTER_LOAD_MS = 3_000;
const RESTART_READY_TIMEOUT_MS = 120_000;

export interface MemoryAndRestart {
  readonly system: string;
  readonly keys: number;
  readonly load: BenchResult;
  /** Resident memory of each member after the load, leader marked. */
  readonly residentMiB: readonly { readonly member: string; readonly leader: boolean; readonly mebibytes: number }[];
  readonly restartedMember: string;
  /** From starting the killed member's process to its readiness. */
  readonly restartReadyMs: number;
}

/** Writes `keys` keys of 256 B through `leader`, in transactions of 128 puts on consecutive keys. */
export async function loadSequentialKeys(cluster: ComparedCluster, leader: ComparedMember, keys: number): Promise<BenchResult> {
  return runBuiltBench(
    ['txn-put', '--txn-ops', String(LOAD_TXN_OPERATIONS), '--sequential-keys', '--key-space', String(keys), '--key-size', '8', '--val-size', String(VALUE_BYTES), '--clients', String(LOAD_CLIENTS), '--conns', '1', '--target', cluster.target, '--endpoints', leader.grpcAddress],
    { total: Math.ceil(keys / LOAD_TXN_OPERATIONS) },
  );
}

export async function measureMemoryAndRestart(cluster: ComparedCluster, keys: number): Promise<MemoryAndRestart> {
  const leader = await leaderOf(cluster);
  const load = await loadSequentialKeys(cluster, leader, keys);
  await sleep(SETTLE_AFTER_LOAD_MS);
  const residentMiB = await Promise.all(cluster.members.map(async (member) => ({ member: member.name, leader: member === leader, mebibytes: await residentMemoryMiB(member.pid) })));
  const follower = cluster.members.find((member) => member !== leader);
  if (follower === undefined) throw new Error(`the ${cluster.system} cluster has no follower to restart`);
  await follower.kill();
  const startedAtMs = performance.now();
  follower.start();
  await follower.waitUntilReady(RESTART_READY_TIMEOUT_MS);
  return { system: cluster.system, keys, load, residentMiB, restartedMember: follower.name, restartReadyMs: performance.now() - startedAtMs };
}
