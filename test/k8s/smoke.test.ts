// The test bed end to end: a plain Beaver-Vault StatefulSet applied with kubectl runs as three
// pods, each a real `bvault server` process in its own network namespace, that find each other
// by their pod DNS names and form one cluster; etcdctl and the REST API work against the pods'
// addresses; pods that are deleted come back on their volumes with their data; and deleting the
// StatefulSet stops every process.

import type { V1Pod } from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, waitFor } from '../cluster/cluster-harness.js';
import { etcdctlAt } from '../etcd-compat/etcdctl-runner.js';
import { startBed, type Bed } from './bed/bed.js';
import { K8S_DIRECTORY } from './bed/paths.js';

const NAMESPACE = 'bvault-smoke';
const MANIFEST = join(K8S_DIRECTORY, 'smoke', 'bvault-statefulset.yaml');
const MEMBERS = ['bvault-0', 'bvault-1', 'bvault-2'];
/** The data directory every member is given: it marks the StatefulSet's processes in /proc. */
const DATA_DIRECTORY_MARK = 'BVAULT_DATA_DIR=/var/lib/bvault-smoke';
const POD_READY_TIMEOUT_MS = 150_000;

let bed: Bed;

beforeAll(async () => {
  bed = await startBed({ nodes: 2 });
  await bed.kubectl(['create', 'namespace', NAMESPACE]);
}, 240_000);

afterAll(async () => {
  await bed?.stop();
}, 120_000);

async function memberPods(): Promise<V1Pod[]> {
  const list = await bed.core().listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'app=bvault' });
  return list.items;
}

function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;
}

/** Waits until the three members run and are ready, none of them being deleted; returns their IPs by name. */
async function readyMembers(): Promise<Map<string, string>> {
  return waitFor('three ready Beaver-Vault pods', POD_READY_TIMEOUT_MS, async () => {
    const pods = (await memberPods()).filter((pod) => pod.metadata?.deletionTimestamp === undefined && isReady(pod));
    if (pods.length !== MEMBERS.length) return undefined;
    return new Map(pods.map((pod) => [pod.metadata?.name ?? '', pod.status?.podIP ?? '']));
  });
}

/** Processes on this machine started with the StatefulSet's data directory in their environment. */
function statefulSetProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(DATA_DIRECTORY_MARK)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

async function getValue(address: string, key: string): Promise<string> {
  const output = await etcdctlAt([`${address}:9090`], ['get', key, '--print-value-only', '--consistency=s']);
  if (output.code !== 0) throw new Error(`etcdctl get ${key} at ${address}: ${output.stderr}`);
  return output.stdout.trim();
}

describe('a Beaver-Vault StatefulSet on the test bed', () => {
  let addresses: Map<string, string>;

  it('forms one three-member cluster from kubectl apply', async () => {
    await bed.kubectl(['apply', '--namespace', NAMESPACE, '-f', MANIFEST]);
    addresses = await readyMembers();
    for (const address of addresses.values()) expect(address).toMatch(new RegExp(`^${bed.network.gatewayAddress.replace(/\.0\.1$/, '').replace(/\./g, '\\.')}\\.`));
    // Every pod ran on a node of the bed and was scheduled by the real scheduler.
    const nodes = new Set((await memberPods()).map((pod) => pod.spec?.nodeName));
    for (const node of nodes) expect(bed.nodes).toContain(node);

    const status = await etcdctlAt([...addresses.values()].map((address) => `${address}:9090`), ['endpoint', 'status', '--write-out=json']);
    expect(status.code, status.stderr).toBe(0);
    const statuses = JSON.parse(status.stdout) as { Status: { header: { cluster_id: number }; leader: number } }[];
    expect(statuses).toHaveLength(3);
    expect(new Set(statuses.map((entry) => String(entry.Status.header.cluster_id))).size).toBe(1);
    expect(new Set(statuses.map((entry) => String(entry.Status.leader))).size).toBe(1);

    const members = await request(`http://${addresses.get('bvault-0')}:8000`, 'GET', '/api/v1/cluster/members');
    expect(members.status).toBe(200);
    for (const name of MEMBERS) expect(members.text).toContain(`${name}.bvault-peers.${NAMESPACE}.svc:7000`);
  }, 200_000);

  it('serves etcdctl and the REST API on the pods\' addresses', async () => {
    const [first, second, third] = MEMBERS.map((name) => addresses.get(name) ?? '');
    const put = await etcdctlAt([`${first}:9090`], ['put', 'greeting', 'from etcdctl']);
    expect(put.code, put.stderr).toBe(0);
    const written = await request(`http://${second}:8000`, 'PUT', '/api/v1/keys/rest-key', 'from REST');
    expect(written.status).toBeLessThan(300);
    expect((await request(`http://${third}:8000`, 'GET', '/api/v1/keys/greeting')).text).toContain('from etcdctl');
    const read = await etcdctlAt([`${third}:9090`], ['get', 'rest-key', '--print-value-only']);
    expect(read.stdout.trim()).toBe('from REST');
  }, 60_000);

  it('brings a deleted pod back on its volume, and all of them after all are deleted', async () => {
    const claimsBefore = await bed.core().listNamespacedPersistentVolumeClaim({ namespace: NAMESPACE });
    expect(claimsBefore.items.map((claim) => claim.status?.phase)).toEqual(['Bound', 'Bound', 'Bound']);

    await bed.kubectl(['delete', 'pod', '--namespace', NAMESPACE, 'bvault-1', '--wait=true']);
    addresses = await readyMembers();
    await waitFor('bvault-1 to hold the keys again', 30_000, async () => ((await getValue(addresses.get('bvault-1') ?? '', 'greeting')) === 'from etcdctl' ? true : undefined));

    // With every member gone at once, only what is on the volumes can bring the keys back:
    // members that came back empty would form a new, empty cluster from initial-cluster.
    await bed.kubectl(['delete', 'pod', '--namespace', NAMESPACE, '-l', 'app=bvault', '--wait=true']);
    addresses = await readyMembers();
    for (const address of addresses.values()) {
      await waitFor(`the keys at ${address}`, 30_000, async () => ((await getValue(address, 'rest-key')) === 'from REST' ? true : undefined));
      expect(await getValue(address, 'greeting')).toBe('from etcdctl');
    }
    const claimsAfter = await bed.core().listNamespacedPersistentVolumeClaim({ namespace: NAMESPACE });
    expect(claimsAfter.items.map((claim) => claim.metadata?.uid).sort()).toEqual(claimsBefore.items.map((claim) => claim.metadata?.uid).sort());
    expect(claimsAfter.items.map((claim) => claim.spec?.volumeName).sort()).toEqual(claimsBefore.items.map((claim) => claim.spec?.volumeName).sort());
  }, 300_000);

  it('stops every process when the StatefulSet is deleted', async () => {
    expect(statefulSetProcesses()).toHaveLength(3);
    await bed.kubectl(['delete', 'statefulset', '--namespace', NAMESPACE, 'bvault', '--wait=true']);
    await waitFor('the member pods to be gone', 60_000, async () => ((await memberPods()).length === 0 ? true : undefined));
    await waitFor('the member processes to end', 30_000, () => (statefulSetProcesses().length === 0 ? true : undefined));
  }, 120_000);
});
