// A three-member cluster holding many keys, kept in a directory between benchmark runs:
// loading 1,000,000 keys takes minutes, and comparing two builds (a read path before and after
// a change) needs the same data twice. The ports are chosen once and saved beside the data,
// because the members' peer addresses are part of what they keep on disk.
//
// The keys are written through the API, as a client would, only in larger transactions
// (LOAD_TXN_OPERATIONS puts each, with txn-operations-max raised to match on every start):
// the members apply them through Raft, the WAL, snapshots and MVCC exactly as any write, so
// the data directories are what a real cluster holds, in a fraction of the time 128-put
// transactions take.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type ServerPorts, ServerProcess, waitFor } from '../test/cluster/cluster-harness.js';
import { runBuiltBench } from './compare-workloads.js';

export const LOAD_TXN_OPERATIONS = 4096;
export const KEY_BYTES = 8;
export const VALUE_BYTES = 256;
const LOAD_CLIENTS = 4;
const READY_TIMEOUT_MS = 300_000;
const DESCRIPTION_FILE = 'cluster.json';

interface ClusterDescription {
  readonly keys: number;
  readonly members: ReadonlyArray<{ readonly name: string; readonly ports: ServerPorts }>;
}

export interface LargeCluster {
  readonly root: string;
  readonly keys: number;
  readonly members: readonly ServerProcess[];
}

/** Where a cluster of `keys` keys is kept unless --data-dir says otherwise: the benchmarks that use one share it. */
export function defaultClusterRoot(keys: number): string {
  return join(tmpdir(), `bvault-bench-large-${keys}`);
}

/** Flags every member runs with, on the first start and every restart. */
export const MEMBER_FLAGS = ['--txn-operations-max', String(LOAD_TXN_OPERATIONS)] as const;

/**
 * The cluster in `root`, loaded with `keys` keys: reused when `root` already holds one with
 * that many keys, created and loaded otherwise. Its members are not running on return.
 */
export async function preparedCluster(root: string, keys: number, progress: (line: string) => void): Promise<LargeCluster> {
  const described = await readDescription(root);
  if (described !== undefined && described.keys === keys) {
    progress(`reusing the cluster in ${root} (${keys.toLocaleString('en-US')} keys)`);
    return clusterOf(root, described);
  }
  if (described !== undefined) throw new Error(`${root} holds a cluster of ${described.keys} keys, not ${keys}; give another --data-dir or remove it`);
  await mkdir(root, { recursive: true });
  const names = ['n1', 'n2', 'n3'];
  const members = [];
  for (const name of names) members.push({ name, ports: { http: await freePort(), raft: await freePort(), grpc: await freePort() } });
  const description: ClusterDescription = { keys: 0, members };
  const cluster = clusterOf(root, description);
  for (const member of cluster.members) member.start();
  try {
    await Promise.all(cluster.members.map((member) => member.waitUntilReady(READY_TIMEOUT_MS)));
    progress(`loading ${keys.toLocaleString('en-US')} keys of ${VALUE_BYTES} B in transactions of ${LOAD_TXN_OPERATIONS} puts...`);
    const startedMs = performance.now();
    const leader = await leaderOf(cluster.members);
    await runBuiltBench(
      ['txn-put', '--txn-ops', String(LOAD_TXN_OPERATIONS), '--sequential-keys', '--key-space', String(keys), '--key-size', String(KEY_BYTES), '--val-size', String(VALUE_BYTES), '--clients', String(LOAD_CLIENTS), '--conns', '1', '--endpoints', leader.grpcAddress, '--timeout-ms', '120000'],
      { total: Math.ceil(keys / LOAD_TXN_OPERATIONS) },
    );
    await waitForSameAppliedIndex(cluster.members);
    progress(`loaded in ${((performance.now() - startedMs) / 1000).toFixed(1)} s`);
  } finally {
    await Promise.all(cluster.members.map((member) => member.terminate(120_000)));
  }
  await writeFile(join(root, DESCRIPTION_FILE), JSON.stringify({ ...description, keys }, null, 2));
  return { ...cluster, keys };
}

export async function startAll(cluster: LargeCluster): Promise<void> {
  for (const member of cluster.members) if (!member.running) member.start();
  await Promise.all(cluster.members.map((member) => member.waitUntilReady(READY_TIMEOUT_MS)));
}

export async function stopAll(cluster: LargeCluster): Promise<void> {
  await Promise.all(cluster.members.filter((member) => member.running).map((member) => member.terminate(120_000)));
}

/** The member every member names as leader, through the REST status. */
export async function leaderOf(members: readonly ServerProcess[]): Promise<ServerProcess> {
  return waitFor('a leader', READY_TIMEOUT_MS, async () => {
    const statuses = await Promise.all(members.map((member) => member.status()));
    const leaderId = statuses[0]?.leaderId;
    if (leaderId === undefined || leaderId === 0 || statuses.some((status) => status.leaderId !== leaderId)) return undefined;
    return members[statuses.findIndex((status) => status.id === leaderId)];
  });
}

/** Until every member has applied the same index: the load is in, or a restarted member caught up. */
export async function waitForSameAppliedIndex(members: readonly ServerProcess[]): Promise<void> {
  await waitFor('every member to apply the same index', READY_TIMEOUT_MS, async () => {
    const statuses = await Promise.all(members.map((member) => member.status()));
    return statuses.every((status) => status.appliedIndex === statuses[0]?.appliedIndex) ? true : undefined;
  });
}

function clusterOf(root: string, description: ClusterDescription): LargeCluster {
  const initialCluster = description.members.map((member) => `${member.name}=127.0.0.1:${member.ports.raft}`).join(',');
  const members = description.members.map((member) => new ServerProcess(member.name, member.ports, join(root, member.name), ['--initial-cluster', initialCluster, ...MEMBER_FLAGS]));
  return { root, keys: description.keys, members };
}

async function readDescription(root: string): Promise<ClusterDescription | undefined> {
  const file = join(root, DESCRIPTION_FILE);
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as ClusterDescription;
}

/** Empties the kernel's page cache; false when this process may not (not root, or a container). */
export async function dropPageCache(): Promise<boolean> {
  try {
    await writeFile('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}
