// npm run bench:kubernetes: kube-apiserver's own request latencies with Beaver-Vault and with
// etcd as its store, side by side in one run. Each round starts a three-member cluster of each
// system (fsync on, as bench:compare starts them), the test bed's API server on it, and the same
// scripted workload: a watch on a namespace, N ConfigMaps created with C requests in flight,
// then the namespace listed whole and in pages of 500. It prints, per system, the API server's
// apiserver_request_duration_seconds (what a client of Kubernetes waits) and
// etcd_request_duration_seconds (what the API server waits for its store) for those requests,
// read from its /metrics before and after, and the time from each create's answer to its
// watch event. Needs the test bed's tools (npm run k8s:up installs them) and Debian's etcd.
//   npm run bench:kubernetes [-- --objects 2000 --concurrency 16 --lists 10 --rounds 1 --skip-build]

import { type CoreV1Api, Watch } from '@kubernetes/client-node';
import { parseArgs } from 'node:util';
import { bucketDeltas, histogramQuantile, parseMetrics, type Scrape, sum } from '../console/src/metrics.js';
import { BenchUsageError } from '../src/bench/bench-options.js';
import { startBed, type Bed } from '../test/k8s/bed/bed.js';
import { createConfigMaps, createOrFindConfigMap } from '../test/kubernetes-on-bvault/workloads.js';
import { buildDist } from './build-dist.js';
import { type ComparedCluster, etcdVersion, startBeaverVault, startEtcd } from './compare-clusters.js';

const NAMESPACE = 'bench';
/** A watch the API server ended is resumed after this pause. */
const RESUME_PAUSE_MS = 100;

interface Plan {
  readonly objects: number;
  readonly concurrency: number;
  readonly lists: number;
  readonly rounds: number;
  readonly build: boolean;
}

/** Latency figures in milliseconds. */
interface Latency {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

interface RoundResult {
  readonly system: string;
  readonly createsPerSecond: number;
  readonly api: Record<'create' | 'list', Latency>;
  readonly store: Record<'create' | 'list', Latency>;
  readonly watchDelay: Latency;
}

function parsePlan(args: readonly string[]): Plan {
  const { values } = parseArgs({
    args: [...args],
    options: { objects: { type: 'string' }, concurrency: { type: 'string' }, lists: { type: 'string' }, rounds: { type: 'string' }, 'skip-build': { type: 'boolean' } },
    strict: true,
  });
  return {
    objects: positive(values.objects ?? '2000', '--objects'),
    concurrency: positive(values.concurrency ?? '16', '--concurrency'),
    lists: positive(values.lists ?? '10', '--lists'),
    rounds: positive(values.rounds ?? '1', '--rounds'),
    build: values['skip-build'] !== true,
  };
}

function positive(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new BenchUsageError(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

async function scrape(bed: Bed): Promise<Scrape> {
  return parseMetrics(await bed.kubectl(['get', '--raw', '/metrics']));
}

/** p50, p99 and mean of one histogram's samples that `keep` accepts, between two scrapes, in ms. */
function latency(before: Scrape, after: Scrape, histogram: string, keep: (labels: Readonly<Record<string, string>>) => boolean): Latency {
  const buckets = bucketDeltas(before, after, `${histogram}_bucket`, keep);
  const count = sum(after, `${histogram}_count`, keep) - sum(before, `${histogram}_count`, keep);
  const seconds = sum(after, `${histogram}_sum`, keep) - sum(before, `${histogram}_sum`, keep);
  return { count, p50: (histogramQuantile(0.5, buckets) ?? NaN) * 1_000, p99: (histogramQuantile(0.99, buckets) ?? NaN) * 1_000, mean: count > 0 ? (seconds / count) * 1_000 : NaN };
}

function sampleLatency(samples: readonly number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (quantile: number) => sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] ?? NaN;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

/**
 * Records when each ConfigMap of the namespace is first seen ADDED, as a reflector watches: a
 * watch the API server ends is resumed from the last revision it delivered (from now after an
 * ERROR), until stop().
 */
async function watchAdditions(bed: Bed, watched: Map<string, number>): Promise<{ stop(): void }> {
  let stopped = false;
  let resourceVersion = '';
  let current: AbortController | undefined;
  const start = async (): Promise<void> => {
    current = await new Watch(bed.kubeConfig()).watch(`/api/v1/namespaces/${NAMESPACE}/configmaps`, resourceVersion === '' ? {} : { resourceVersion }, (type, object: { metadata?: { name?: string; resourceVersion?: string } }) => {
      if (type === 'ERROR') {
        resourceVersion = '';
        return;
      }
      resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
      if (type === 'ADDED' && object.metadata?.name !== undefined && !watched.has(object.metadata.name)) watched.set(object.metadata.name, performance.now());
    }, () => {
      if (!stopped) setTimeout(() => void start(), RESUME_PAUSE_MS);
    });
  };
  await start();
  return {
    stop: () => {
      stopped = true;
      current?.abort();
    },
  };
}

async function runWorkload(cluster: ComparedCluster, plan: Plan): Promise<RoundResult> {
  const bed = await startBed({ nodes: 0, storage: { servers: cluster.members.map((member) => `http://${member.grpcAddress}`) } });
  try {
    const core: CoreV1Api = bed.core();
    await bed.kubectl(['create', 'namespace', NAMESPACE]);
    const answered = new Map<string, number>();
    const delays: number[] = [];
    const watched = new Map<string, number>();
    const watch = await watchAdditions(bed, watched);
    // The watch counts only once it is known to be established: a first ConfigMap must reach it.
    await createOrFindConfigMap(core, NAMESPACE, 'watch-established', 60_000);
    const watchDeadline = Date.now() + 30_000;
    while (!watched.has('watch-established')) {
      if (Date.now() > watchDeadline) throw new Error(`the watch on ${cluster.system} saw nothing within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const before = await scrape(bed);

    const names = Array.from({ length: plan.objects }, (_unused, index) => `object-${index}`);
    const started = performance.now();
    await createConfigMaps(core, NAMESPACE, names, plan.concurrency, (name) => answered.set(name, performance.now()));
    const createsPerSecond = plan.objects / ((performance.now() - started) / 1_000);
    const deadline = Date.now() + 60_000;
    while (watched.size < plan.objects && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    watch.stop();
    for (const [name, at] of answered) {
      const seen = watched.get(name);
      if (seen !== undefined) delays.push(Math.max(0, seen - at));
    }
    for (let round = 0; round < plan.lists; round += 1) {
      await core.listNamespacedConfigMap({ namespace: NAMESPACE });
      let token: string | undefined;
      do {
        const page = await core.listNamespacedConfigMap({ namespace: NAMESPACE, limit: 500, _continue: token });
        token = page.metadata?._continue || undefined;
      } while (token !== undefined);
    }
    const after = await scrape(bed);
    const api = (verb: string) => latency(before, after, 'apiserver_request_duration_seconds', (labels) => labels.verb === verb && labels.resource === 'configmaps');
    const store = (operation: string) => latency(before, after, 'etcd_request_duration_seconds', (labels) => labels.operation === operation && labels.resource === 'configmaps');
    return { system: cluster.system, createsPerSecond, api: { create: api('POST'), list: api('LIST') }, store: { create: store('create'), list: store('list') }, watchDelay: sampleLatency(delays) };
  } finally {
    await bed.stop();
  }
}

const format = (value: number): string => (Number.isFinite(value) ? value.toFixed(value < 10 ? 2 : 1) : 'n/a');

function report(results: readonly RoundResult[], plan: Plan): string {
  const rows: string[] = [
    `kube-apiserver on a three-member store: ${plan.objects} ConfigMaps created with ${plan.concurrency} in flight, ${plan.lists}× listed whole and in pages of 500; etcd ${etcdVersion() ?? '?'}`,
    '',
    '| round | store | creates/s | API create p50 / p99 ms | API list p50 / p99 ms | store create p50 / p99 ms | store list p50 / p99 ms | create → watch event p50 / p99 ms |',
    '|---|---|---|---|---|---|---|---|',
  ];
  results.forEach((result, index) => {
    const pair = (latency: Latency) => `${format(latency.p50)} / ${format(latency.p99)}`;
    rows.push(`| ${Math.floor(index / 2) + 1} | ${result.system} | ${result.createsPerSecond.toFixed(0)} | ${pair(result.api.create)} | ${pair(result.api.list)} | ${pair(result.store.create)} | ${pair(result.store.list)} | ${pair(result.watchDelay)} |`);
  });
  return rows.join('\n');
}

async function main(): Promise<void> {
  const plan = parsePlan(process.argv.slice(2));
  if (etcdVersion() === undefined) throw new Error('etcd is not installed (apt-get install etcd-server)');
  if (plan.build) buildDist('bench:kubernetes');
  const results: RoundResult[] = [];
  for (let round = 0; round < plan.rounds; round += 1) {
    // Alternate which system goes first, so neither always runs on a machine just warmed by the other.
    const starters = round % 2 === 0 ? [startBeaverVault, startEtcd] : [startEtcd, startBeaverVault];
    for (const start of starters) {
      const cluster = await start();
      try {
        results.push(await runWorkload(cluster, plan));
      } finally {
        await cluster.destroy();
      }
    }
  }
  console.log(report(results, plan));
}

main().catch((error: unknown) => {
  console.error(error instanceof BenchUsageError ? error.message : error);
  process.exit(1);
});
