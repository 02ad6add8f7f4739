// The Grafana dashboards against a real cluster and a real Prometheus: three members on loopback
// scraped every second while a write, read and watch load runs over REST, the native gRPC API
// and etcd's. Every panel query of the cluster and member dashboards, with Grafana's variables
// replaced, returns data, and names only metrics Prometheus has and docs/observability.md
// documents; every panel has a unique id, a place on the grid, the datasource variable and a
// unit. The same Prometheus evaluates alerts.yaml: BvaultMembersDown fires when a member is
// killed with SIGKILL and resolves once it is back on its data directory. A one-member cluster
// with TLS on both ports, scraped over HTTPS, has the certificate expiry the operator
// dashboard shows; that dashboard's other queries are checked against a real operator in
// test/operator/backup.test.ts.

import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { connect, type BeaverVaultClient } from '../../src/client/index.js';
import { ConcurrentWriters, REPOSITORY_ROOT, TestCluster, temporaryDirectory, waitFor, type ServerProcess } from '../cluster/cluster-harness.js';
import { etcdctl, etcdctlBackground, etcdctlOk } from '../etcd-compat/etcdctl-runner.js';
import { PidRegistry, stopByPid } from '../k8s/bed/processes.js';
import { startPrometheus, type Prometheus } from '../k8s/services/prometheus.js';
import { ENSURE_SERVICES_TIMEOUT_MS, ensureServices } from '../k8s/services/tool-paths.js';
import { TestCertificates } from '../support/test-certificates.js';
import { DASHBOARD_FILES, familyOf, loadDashboard, metricNames, queriesOf, runPanelQueries, structuralProblems } from './dashboards.js';

/** The rules select member jobs whose name contains "bvault" (job=~".*bvault.*"). */
const JOB = 'bvault';
const TLS_JOB = 'bvault-tls';
/** Many scrapes and evaluations of one second, with room for a loaded machine. */
const PROMETHEUS_TIMEOUT_MS = 30_000;
/**
 * What Grafana puts for $__rate_interval with the data source's default 15 s scrape interval
 * (four scrapes); here, with scrapes every second, it holds the whole load.
 */
const RATE_INTERVAL = '1m';
const RANGE = '5m';

interface Alert {
  readonly labels: Readonly<Record<string, string>>;
  readonly state: 'pending' | 'firing';
}

let directory: string;
let registry: PidRegistry;
let cluster: TestCluster;
let tlsCluster: TestCluster;
let caFile: string;
let prometheus: Prometheus;
let client: BeaverVaultClient;
let writers: ConcurrentWriters;
/** The member the alert test kills and restarts. */
let killed: ServerProcess | undefined;

/**
 * alerts.yaml with every `for:` cut to two seconds and every range to five, so that an alert
 * fires and resolves within seconds of a one-second scrape rather than minutes: the rules'
 * expressions and labels are the shipped ones; their production durations are checked by
 * promtool's unit tests (alerts-test.yaml).
 */
async function writeShortenedRules(): Promise<string> {
  const rules = parse(await readFile(join(REPOSITORY_ROOT, 'observability', 'prometheus', 'alerts.yaml'), 'utf8')) as { groups: { rules: { for?: string; expr: string }[] }[] };
  for (const rule of rules.groups.flatMap((group) => group.rules)) {
    if (rule.for !== undefined) rule.for = '2s';
    rule.expr = rule.expr.replace(/\[\d+[smhd]\]/g, '[5s]');
  }
  const file = join(directory, 'alerts-shortened.yaml');
  await writeFile(file, stringify(rules));
  return file;
}

/** A write, read and watch load over REST, native gRPC and etcd's gRPC, with a few errors among it. */
async function runLoad(): Promise<void> {
  const [first, second] = cluster.members as [ServerProcess, ServerProcess];
  const stop = new AbortController();
  const watched: string[] = [];
  const watching = (async () => {
    for await (const event of client.watch('load/', { prefix: true, signal: stop.signal })) {
      watched.push(event.kv.key.toString());
      if (watched.length === 20) break;
    }
  })().catch((error: unknown) => {
    if (!stop.signal.aborted) throw error;
  });
  const etcdWatch = etcdctlBackground([second], ['watch', 'load/', '--prefix']);
  for (let index = 0; index < 20; index++) {
    await client.put(`load/native-${index}`, `value ${index}`);
    expect((await client.get(`load/native-${index}`))?.value.toString()).toBe(`value ${index}`);
    expect((await first.request('PUT', `/api/v1/keys/load/rest-${index}`, `value ${index}`)).status).toBe(200);
    expect((await second.request('GET', `/api/v1/keys/load/rest-${index}`)).status).toBe(200);
  }
  await etcdctlOk([first], ['put', 'load/etcd', 'etcd value']);
  await etcdctlOk([second], ['get', 'load/', '--prefix']);
  await etcdWatch.waitForOutput((output) => output.includes('etcd value'));
  etcdWatch.stop();
  // A watch that starts and ends on every member (the alert test kills one), for the open-streams panel.
  for (const member of cluster.members) {
    const watch = etcdctlBackground([member], ['watch', 'load/etcd', '--rev', '1']);
    await watch.waitForOutput((output) => output.includes('etcd value'));
    watch.stop();
  }
  await watching;
  stop.abort();
  expect(watched.length).toBe(20);
  // Errors the dashboards show, on every member (the alert test kills one): a missing key over
  // REST (404) and a missing lease over etcd's gRPC (NotFound).
  for (const member of cluster.members) {
    expect((await member.request('GET', '/api/v1/keys/load/missing')).status).toBe(404);
    expect((await etcdctl([member], ['lease', 'revoke', '123456'])).stderr).toContain('requested lease not found');
  }
}

async function firingAlerts(name: string): Promise<Alert[]> {
  const response = await fetch(`${prometheus.url}/api/v1/alerts`, { signal: AbortSignal.timeout(10_000) });
  const answer = (await response.json()) as { data: { alerts: (Alert & { labels: { alertname: string } })[] } };
  return answer.data.alerts.filter((alert) => alert.labels.alertname === name && alert.state === 'firing');
}

beforeAll(async () => {
  await ensureServices();
  directory = await temporaryDirectory('dashboards');
  registry = new PidRegistry(join(directory, 'pids'));
  const certificates = await TestCertificates.create(directory);
  caFile = certificates.caFile;
  const [server, peer] = [await certificates.issue('server'), await certificates.issue('peer')];
  // One after the other: four members compiling their sources at once on a busy machine can miss the harness's readiness deadline.
  cluster = await TestCluster.start({ size: 3, prefix: 'dashboards' });
  tlsCluster = await TestCluster.start({
    size: 1,
    prefix: 'dashboards-tls',
    // TLS on both ports; no client certificate asked for, so that Prometheus needs only the CA.
    extraArgs: ['--cert-file', server.certFile, '--key-file', server.keyFile, '--peer-cert-file', peer.certFile, '--peer-key-file', peer.keyFile, '--peer-trusted-ca-file', caFile],
    memberOptions: () => ({ clientTls: { ca: readFileSync(caFile) } }),
  });
  prometheus = await startPrometheus({
    directory,
    registry,
    scrapeTargets: [
      { job: JOB, targets: cluster.members.map((member) => `127.0.0.1:${member.ports.http}`) },
      { job: TLS_JOB, targets: tlsCluster.members.map((member) => `127.0.0.1:${member.ports.http}`), scheme: 'https', caFile },
    ],
    ruleFiles: [await writeShortenedRules()],
    scrapeIntervalSeconds: 1,
  });
  client = connect({ endpoints: cluster.members.map((member) => member.grpcAddress) });
  await cluster.leader();
  await runLoad();
  // A steady trickle of writes for the rest of the file, so that rates are not zero.
  writers = new ConcurrentWriters(() => cluster.members, 1, 'trickle/');
}, ENSURE_SERVICES_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await writers?.stop();
  client?.close();
  if (registry !== undefined) await stopByPid(registry.entries().map((entry) => entry.pid), 5_000);
  await cluster?.destroy();
  await tlsCluster?.destroy();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
}, 60_000);

describe('the dashboards\' structure', () => {
  it('gives every panel a unique id, a grid position, the datasource variable and a unit', () => {
    for (const file of DASHBOARD_FILES) expect(structuralProblems(loadDashboard(file)), file).toEqual([]);
  });

  it('read only metrics docs/observability.md documents', async () => {
    const observability = await readFile(join(REPOSITORY_ROOT, 'docs', 'observability.md'), 'utf8');
    // `up` is Prometheus's own: 1 when a target's scrape succeeded.
    const documented = new Set(['up', ...[...observability.matchAll(/`([a-z_]+)(?:\{[^}]*\})?`/g)].map((match) => match[1]!)]);
    for (const file of DASHBOARD_FILES) {
      for (const query of queriesOf(loadDashboard(file))) {
        const undocumented = metricNames(query.expr).filter((metric) => !documented.has(metric) && !documented.has(familyOf(metric)));
        expect(undocumented, query.where).toEqual([]);
      }
    }
  });
});

describe('the alert rules on a live cluster', () => {
  it('fire BvaultMembersDown when a member is killed, and resolve it once the member is back on its data directory', async () => {
    await waitFor('every member scraped', PROMETHEUS_TIMEOUT_MS, async () => {
      const data = await prometheus.query(`sum(up{job="${JOB}"})`);
      return data.resultType === 'vector' && data.result[0]?.value[1] === '3' ? true : undefined;
    });
    expect(await firingAlerts('BvaultMembersDown')).toEqual([]);
    const victim = await cluster.leader();
    killed = victim;
    await victim.kill();
    // Writes to the followers before they elect a new leader fail when the term moves on: the
    // failed-proposals panel has something to show.
    const followers = cluster.running();
    await Promise.all(followers.flatMap((member) => Array.from({ length: 5 }, (_unused, index) => member.request('PUT', `/api/v1/keys/during-election/${member.name}-${index}`, 'x').catch(() => undefined))));
    const [fired] = await waitFor('BvaultMembersDown to fire', PROMETHEUS_TIMEOUT_MS, async () => {
      const alerts = await firingAlerts('BvaultMembersDown');
      return alerts.length > 0 ? alerts : undefined;
    });
    expect(fired?.labels).toMatchObject({ job: JOB, severity: 'warning' });

    victim.start();
    await victim.waitUntilReady();
    await waitFor('BvaultMembersDown to resolve', PROMETHEUS_TIMEOUT_MS, async () => ((await firingAlerts('BvaultMembersDown')).length === 0 ? true : undefined));
  }, 90_000);
});

describe('the dashboards on a live cluster', () => {
  it('have data for every panel query of the cluster and member dashboards, naming only metrics Prometheus has', async () => {
    // The member never killed: its series cover the whole run.
    const steady = cluster.members.find((member) => member !== killed);
    const variables = { datasource: 'prometheus', job: JOB, instance: `127.0.0.1:${steady!.ports.http}`, __rate_interval: RATE_INTERVAL, __range: RANGE };
    for (const file of ['bvault-cluster.json', 'bvault-member.json'] as const) {
      const outcomes = await runPanelQueries(prometheus, loadDashboard(file), variables);
      expect(outcomes.filter((outcome) => outcome.unknownMetrics.length > 0).map((outcome) => `${outcome.where} names ${outcome.unknownMetrics.join(', ')}`), 'queries naming metrics Prometheus does not have').toEqual([]);
      expect(outcomes.filter((outcome) => outcome.empty).map((outcome) => `${outcome.where}: ${outcome.promql}`), 'queries without data').toEqual([]);
    }
  }, 60_000);

  it('show each member\'s certificate expiry on the operator dashboard, from a member with TLS', async () => {
    const variables = { datasource: 'prometheus', member_job: TLS_JOB, __rate_interval: RATE_INTERVAL, __range: RANGE };
    const outcomes = await runPanelQueries(prometheus, loadDashboard('bvault-operator.json'), variables, (query) => query.expr.includes('$member_job'));
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.filter((outcome) => outcome.unknownMetrics.length > 0 || outcome.empty).map((outcome) => `${outcome.where}: ${outcome.promql}`)).toEqual([]);
    const data = await prometheus.query(outcomes[0]!.promql);
    const endpoints = data.resultType === 'vector' ? data.result.map((sample) => sample.metric.endpoint).sort() : [];
    expect(endpoints).toEqual(['client', 'peer']);
    // The test certificates' default validity, from now: far more than a day, and not yet passed.
    for (const sample of data.resultType === 'vector' ? data.result : []) expect(Number(sample.value[1])).toBeGreaterThan(86_400);
  }, 30_000);
});
