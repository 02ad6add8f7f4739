// Kubernetes on Beaver-Vault: the test bed's real API server, controller manager, scheduler and
// node agent, with a three-member Beaver-Vault cluster (plaintext gRPC) as the API server's
// etcd. kube-apiserver is the most demanding etcd client there is: paged ranges with counts,
// Txn with mod_revision compares, watches from a revision with progress requests, leases and
// compaction through compact_rev_key. Everything here goes through it unchanged.
//
// PodTemplates are left out of the API server's watch cache (--watch-cache-sizes), so that
// their watches and lists reach Beaver-Vault itself: the test of a watch that fell behind a
// compaction needs Beaver-Vault's answer, not the cache's.

import { ApiException, type CoreV1Api, type V1ConfigMap, Watch } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAll, waitFor } from '../cluster/cluster-harness.js';
import { startBed, type Bed } from '../k8s/bed/bed.js';
import { BINARIES } from '../k8s/bed/paths.js';
import { parseMetrics, sum } from '../../console/src/metrics.js';
import { createConfigMaps, createOrFindConfigMap, createdRevision, hostShellDeployment, hostShellStatefulSet, readyReplicas } from './workloads.js';
import { startStoreCluster, type StoreCluster } from '../k8s/bed/beaver-vault-store.js';

const COMPACTION_INTERVAL_SECONDS = 10;
const CONVERGE_TIMEOUT_MS = 120_000;

let store: StoreCluster;
let bed: Bed;
let core: CoreV1Api;

beforeAll(async () => {
  store = await startStoreCluster({ tls: false });
  bed = await startBed({
    nodes: 1,
    storage: store.storage,
    apiServerFlags: [`--etcd-compaction-interval=${COMPACTION_INTERVAL_SECONDS}s`, '--watch-cache-sizes=podtemplates#0'],
  });
  core = bed.core();
}, 240_000);

afterAll(async () => {
  await bed?.stop();
  await store?.cluster.destroy();
}, 120_000);

/** Every key Beaver-Vault holds under a prefix, read from a member's REST API. */
async function storedKeys(prefix: string): Promise<string[]> {
  const member = store.cluster.running()[0];
  if (member === undefined) throw new Error('no member is running');
  return [...(await listAll(member.url, prefix)).keys()];
}

describe('Kubernetes stores its objects in Beaver-Vault', () => {
  it('namespaces, ConfigMaps, Secrets, a Deployment and a StatefulSet are created and converged by the controllers', async () => {
    await bed.kubectl(['create', 'namespace', 'shop']);
    await bed.kubectl(['create', 'configmap', 'settings', '-n', 'shop', '--from-literal=colour=blue']);
    await bed.kubectl(['create', 'secret', 'generic', 'credentials', '-n', 'shop', '--from-literal=password=s3cret']);
    await bed.kubectl(['apply', '-f', '-'], hostShellDeployment('shop', 'web', 2));
    await bed.kubectl(['apply', '-f', '-'], hostShellStatefulSet('shop', 'db', 2));
    await waitFor('the Deployment and the StatefulSet to have 2 ready replicas each', CONVERGE_TIMEOUT_MS, async () => {
      const [web, db] = await Promise.all([readyReplicas(bed, 'deployment', 'shop', 'web'), readyReplicas(bed, 'statefulset', 'shop', 'db')]);
      return web === 2 && db === 2 ? true : undefined;
    });
    const secret = await core.readNamespacedSecret({ name: 'credentials', namespace: 'shop' });
    expect(Buffer.from(secret.data?.password ?? '', 'base64').toString()).toBe('s3cret');
    expect((await core.readNamespacedConfigMap({ name: 'settings', namespace: 'shop' })).data).toEqual({ colour: 'blue' });

    // They are Beaver-Vault's keys: the bed started no etcd of its own.
    expect(await storedKeys('/registry/deployments/shop/')).toEqual(['/registry/deployments/shop/web']);
    expect(await storedKeys('/registry/statefulsets/shop/')).toEqual(['/registry/statefulsets/shop/db']);
    expect(await storedKeys('/registry/secrets/shop/credentials')).toEqual(['/registry/secrets/shop/credentials']);
    expect((await storedKeys('/registry/pods/shop/')).length).toBe(4);
    expect(bed.logTail('etcd')).toBe('');
  }, 180_000);

  it('deleting a namespace deletes what it holds, through the namespace controller', async () => {
    await bed.kubectl(['create', 'namespace', 'doomed']);
    await bed.kubectl(['create', 'configmap', 'leftover', '-n', 'doomed', '--from-literal=a=b']);
    await bed.kubectl(['apply', '-f', '-'], hostShellDeployment('doomed', 'worker', 1));
    await waitFor('the doomed Deployment to be ready', CONVERGE_TIMEOUT_MS, async () => (await readyReplicas(bed, 'deployment', 'doomed', 'worker')) === 1 || undefined);
    await bed.kubectl(['delete', 'namespace', 'doomed', '--wait=false']);
    await waitFor('the namespace to be gone', CONVERGE_TIMEOUT_MS, async () => {
      const answer = await core.readNamespace({ name: 'doomed' }).catch((error: unknown) => error);
      return answer instanceof ApiException && answer.code === 404 ? true : undefined;
    });
    expect(await storedKeys('/registry/configmaps/doomed/')).toEqual([]);
    expect(await storedKeys('/registry/pods/doomed/')).toEqual([]);
  }, 180_000);

  it('a CustomResourceDefinition is established and serves its objects', async () => {
    await bed.kubectl(['apply', '-f', '-'], WIDGET_CRD);
    await bed.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/widgets.example.com']);
    await bed.kubectl(['create', 'namespace', 'widgets']);
    for (const [name, size] of [['small', 1], ['medium', 5], ['large', 9]] as const) {
      await bed.kubectl(['apply', '-f', '-'], `apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: ${name}, namespace: widgets}\nspec: {size: ${size}}\n`);
    }
    await bed.kubectl(['patch', 'widget', 'medium', '-n', 'widgets', '--type=merge', '-p', '{"spec":{"size":6}}']);
    expect(await bed.kubectl(['get', 'widgets', '-n', 'widgets', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.size} {end}'])).toBe('large=9 medium=6 small=1 ');
    // The schema is enforced by the API server before anything is stored.
    await expect(bed.kubectl(['apply', '-f', '-'], 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: bad, namespace: widgets}\nspec: {size: "big"}\n')).rejects.toThrow(/spec.size/);
    expect(await storedKeys('/registry/example.com/widgets/widgets/')).toEqual(['/registry/example.com/widgets/widgets/large', '/registry/example.com/widgets/widgets/medium', '/registry/example.com/widgets/widgets/small']);
  }, 120_000);

  it('kubectl get --watch sees objects added, changed and deleted', async () => {
    await bed.kubectl(['create', 'namespace', 'watched']);
    await bed.kubectl(['create', 'configmap', 'first', '-n', 'watched', '--from-literal=v=1']);
    const watcher = spawn(BINARIES.kubectl, ['--kubeconfig', bed.kubeconfig, '--cache-dir', join(dirname(bed.kubeconfig), 'kube-cache'), 'get', 'configmaps', '-n', 'watched', '--watch', '--output-watch-events', '--no-headers', '-o', 'custom-columns=EVENT:.type,NAME:.object.metadata.name,V:.object.data.v'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    watcher.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    watcher.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const lines = () => output.split('\n').map((line) => line.trim().split(/\s+/).join(' '));
    const seen = (line: string) => waitFor(`kubectl --watch to print "${line}"`, 30_000, () => lines().includes(line) || undefined).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; it printed:\n${output}`);
    });
    try {
      await seen('ADDED first 1');
      await bed.kubectl(['create', 'configmap', 'second', '-n', 'watched', '--from-literal=v=1']);
      await seen('ADDED second 1');
      await bed.kubectl(['patch', 'configmap', 'second', '-n', 'watched', '-p', '{"data":{"v":"2"}}']);
      await seen('MODIFIED second 2');
      await bed.kubectl(['delete', 'configmap', 'first', '-n', 'watched']);
      await seen('DELETED first 1');
    } finally {
      watcher.kill('SIGKILL');
    }
  }, 120_000);

  it('consistent lists are served from the watch cache, which watch progress requests keep current', async () => {
    // The API server asks Beaver-Vault's version before it uses progress requests; with them it
    // serves a list without a resourceVersion from its cache once the cache has caught up with
    // the revision Beaver-Vault names, instead of reading Beaver-Vault every time.
    await bed.kubectl(['create', 'namespace', 'cached']);
    for (let round = 0; round < 5; round += 1) {
      await bed.kubectl(['create', 'configmap', `cached-${round}`, '-n', 'cached', '--from-literal=v=1']);
      expect(await bed.kubectl(['get', 'configmaps', '-n', 'cached', '-o', 'name'])).toContain(`configmap/cached-${round}`);
    }
    const metrics = parseMetrics(await bed.kubectl(['get', '--raw', '/metrics']));
    const reads = (fallback: string) => sum(metrics, 'apiserver_watch_cache_consistent_read_total', (labels) => labels.resource === 'configmaps' && labels.fallback === fallback && labels.success === 'true');
    expect({ fromCache: reads('false') >= 5, fromStore: reads('true') }).toEqual({ fromCache: true, fromStore: 0 });
    expect(bed.logTail('kube-apiserver', 2_000_000)).not.toMatch(/RequestWatchProgress feature is not supported/);
  }, 120_000);

  it('a list of 5,000 ConfigMaps is paged with continue tokens, every page at the first page\'s revision', async () => {
    await bed.kubectl(['create', 'namespace', 'paging']);
    const names = Array.from({ length: 5_000 }, (_unused, index) => `item-${String(index).padStart(4, '0')}`);
    await createConfigMaps(core, 'paging', names, 16);
    const seen: string[] = [];
    const pageRevisions = new Set<string>();
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedConfigMap({ namespace: 'paging', limit: 500, _continue: token });
      // The namespace holds kube-root-ca.crt too: 5,001 in all.
      if (pages === 0) expect(page.metadata?.remainingItemCount).toBe(4_501);
      pageRevisions.add(page.metadata?.resourceVersion ?? '');
      seen.push(...page.items.map((item) => item.metadata?.name ?? ''));
      token = page.metadata?._continue || undefined;
      pages += 1;
    } while (token !== undefined);
    expect(pages).toBe(11);
    expect(pageRevisions.size).toBe(1);
    expect(seen.filter((name) => name !== 'kube-root-ca.crt')).toEqual(names);
  }, 300_000);

  it('the API server compacts Beaver-Vault, and a watch that fell behind is told its resource version is too old (410) and relists', async () => {
    await bed.kubectl(['create', 'namespace', 'compacted']);
    await bed.kubectl(['apply', '-f', '-'], podTemplate('tracked', 0));
    const before = await createdRevision(bed, 'podtemplate', 'compacted', 'tracked');
    for (let generation = 1; generation <= 3; generation += 1) await bed.kubectl(['apply', '-f', '-'], podTemplate('tracked', generation));
    // The API server records a revision in compact_rev_key each interval and compacts to the
    // one it recorded the interval before.
    // A watch from `before` starts at the revision after it, which a compaction to exactly that
    // revision keeps: the compaction must pass it too for the watch to have fallen behind.
    await waitFor('Beaver-Vault to be compacted past the first version and the change after it', 6 * COMPACTION_INTERVAL_SECONDS * 1_000, async () => {
      const statuses = await Promise.all(store.cluster.running().map((member) => member.request('GET', '/api/v1/admin/status')));
      return statuses.every((answer) => (answer.json as { compactRevision: number }).compactRevision > Number(before) + 1) || undefined;
    });
    expect(await storedKeys('compact_rev_key')).toEqual(['compact_rev_key']);

    const list = await core.listNamespacedPodTemplate({ namespace: 'compacted', resourceVersion: before, resourceVersionMatch: 'Exact' }).catch((error: unknown) => error);
    expect(list).toBeInstanceOf(ApiException);
    expect((list as ApiException<unknown>).code).toBe(410);

    const fellBehind = await watchOnce('/api/v1/namespaces/compacted/podtemplates', before);
    expect(fellBehind.type).toBe('ERROR');
    expect(fellBehind.object).toMatchObject({ code: 410, reason: 'Expired' });
    // The API server's words for Beaver-Vault's "required revision has been compacted".
    expect(fellBehind.object).toMatchObject({ message: 'The resourceVersion for the provided watch is too old.' });

    // What a client does on 410: list again, and watch from the list's revision.
    const relisted = await core.listNamespacedPodTemplate({ namespace: 'compacted' });
    const next = watchOnce('/api/v1/namespaces/compacted/podtemplates', relisted.metadata?.resourceVersion ?? '');
    await bed.kubectl(['apply', '-f', '-'], podTemplate('tracked', 4));
    const change = await next;
    expect(change.type).toBe('MODIFIED');
    expect(change.object).toMatchObject({ metadata: { name: 'tracked', labels: { generation: '4' } } });
  }, 180_000);

  it('the API server carries on across a kill -9 of the Beaver-Vault leader, with no object lost or duplicated', async () => {
    await bed.kubectl(['create', 'namespace', 'failover']);
    await bed.kubectl(['apply', '-f', '-'], hostShellDeployment('failover', 'busy', 2));
    await waitFor('the Deployment to be ready', CONVERGE_TIMEOUT_MS, async () => (await readyReplicas(bed, 'deployment', 'failover', 'busy')) === 2 || undefined);

    const leader = await store.cluster.leader();
    const acknowledged = new Set<string>();
    let written = 0;
    let stopWriting = false;
    const writers = Array.from({ length: 4 }, async (_unused, writer) => {
      while (!stopWriting) {
        const name = `cm-${writer}-${written++}`;
        await createOrFindConfigMap(core, 'failover', name, 30_000);
        acknowledged.add(name);
      }
    });
    await waitFor('40 ConfigMaps before the kill', 60_000, () => acknowledged.size >= 40 || undefined);
    // The controllers have work in flight too: a scale-up, then the leader goes.
    await bed.kubectl(['scale', 'deployment', 'busy', '-n', 'failover', '--replicas=4']);
    await leader.kill();
    const atKill = acknowledged.size;
    await waitFor('40 more ConfigMaps after the kill', 90_000, () => acknowledged.size >= atKill + 40 || undefined);
    stopWriting = true;
    await Promise.all(writers);

    await waitFor('the Deployment to have 4 ready replicas', CONVERGE_TIMEOUT_MS, async () => (await readyReplicas(bed, 'deployment', 'failover', 'busy')) === 4 || undefined);
    const stored = (await core.listNamespacedConfigMap({ namespace: 'failover' })).items.map((item: V1ConfigMap) => item.metadata?.name ?? '').filter((name) => name.startsWith('cm-'));
    expect(new Set(stored).size).toBe(stored.length);
    expect(stored.filter((name) => !acknowledged.has(name))).toEqual([]);
    expect([...acknowledged].filter((name) => !stored.includes(name))).toEqual([]);
    // One ReplicaSet and exactly four pods: no controller acted twice on a retried write.
    expect((await bed.kubectl(['get', 'replicasets', '-n', 'failover', '-o', 'name'])).trim().split('\n')).toHaveLength(1);
    const pods = (await core.listNamespacedPod({ namespace: 'failover' })).items.filter((pod) => pod.metadata?.deletionTimestamp === undefined);
    expect(pods).toHaveLength(4);

    // The killed member comes back and catches up.
    leader.start();
    await leader.waitUntilReady();
    await waitFor('the restarted member to hold every ConfigMap', 30_000, async () => {
      const keys = [...(await listAll(leader.url, '/registry/configmaps/failover/cm-', 'serializable')).keys()];
      return keys.length === stored.length ? true : undefined;
    });
  }, 300_000);
});

/** The first event of a watch from `resourceVersion`, then the watch is stopped. */
async function watchOnce(path: string, resourceVersion: string): Promise<{ type: string; object: unknown }> {
  let abort: AbortController | undefined;
  const event = await new Promise<{ type: string; object: unknown }>((resolve, reject) => {
    new Watch(bed.kubeConfig()).watch(path, { resourceVersion }, (type, object) => resolve({ type, object }), (error) => {
      if (error !== null && error !== undefined) reject(error as Error);
    }).then((controller) => { abort = controller; }, reject);
  });
  abort?.abort();
  return event;
}

function podTemplate(name: string, generation: number): string {
  return `apiVersion: v1
kind: PodTemplate
metadata: {name: ${name}, namespace: compacted, labels: {generation: "${generation}"}}
template:
  spec:
    containers: [{name: main, image: host-shell}]
`;
}

const WIDGET_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
`;
