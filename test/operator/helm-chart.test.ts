// charts/beaver-vault with the real Helm, on the test bed: it lints clean; its values schema
// refuses bad values by name; every template, with every optional part on, is accepted by the
// API server (server-side dry run); the Grafana dashboards ship as the sidecar's ConfigMaps holding
// the very JSON of observability/grafana, and the PodMonitors select the member pods the operator
// made and the operator's own; `helm install` runs the operator, which forms the KVCluster
// made from values; `helm upgrade` to a new operator version rolls the operator and leaves the
// cluster's members alone; `helm uninstall` removes the operator and keeps the CRD and the
// KVCluster with its data. kubectl's views of a KVCluster (get, describe, explain) are checked
// on the way.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { request, temporaryDirectory, waitFor } from '../cluster/cluster-harness.js';
import { startBed, type Bed } from '../k8s/bed/bed.js';
import { REPOSITORY_ROOT } from '../k8s/bed/paths.js';
import { helm, helmInstall } from '../k8s/services/helm.js';
import { ENSURE_SERVICES_TIMEOUT_MS, ensureServices } from '../k8s/services/tool-paths.js';
import type { V1Pod } from '@kubernetes/client-node';
import { DASHBOARDS_FILE, renderDashboardManifests } from '../../scripts/manifests.js';
import { isRunningWith, memberPods, memberUrls, waitForCluster } from './operator-harness.js';

const CHART = join(REPOSITORY_ROOT, 'charts', 'beaver-vault');
const CRD = join(REPOSITORY_ROOT, 'operator', 'crd', 'kvclusters.kv.beavervault.io.yaml');
const ALERTS = join(REPOSITORY_ROOT, 'observability', 'prometheus', 'alerts.yaml');
const DASHBOARDS = join(REPOSITORY_ROOT, 'observability', 'grafana');
const RELEASE = 'bvault';
const NAMESPACE = 'bvault-system';
const CLUSTER = 'store';
const OPERATOR = `${RELEASE}-beaver-vault-operator`;
const OPERATOR_PODS = `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=operator`;
const CLUSTER_VALUES = { cluster: { create: true, name: CLUSTER, spec: { replicas: 3, version: '0.1.0', storage: { size: '1Gi' } } } };
const INSTALL_TIMEOUT_MS = 240_000;
const EVERY_MONITORING_PART = ['--set', 'monitoring.prometheusRule.enabled=true', '--set', 'monitoring.podMonitor.enabled=true', '--set', 'monitoring.dashboards.enabled=true'];

interface Rendered {
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly data?: Record<string, string>;
  readonly spec?: PodMonitorSpec;
}

interface PodMonitorSpec {
  readonly namespaceSelector?: { readonly any?: boolean; readonly matchNames?: readonly string[] };
  readonly selector: { readonly matchLabels?: Record<string, string>; readonly matchExpressions?: readonly { key: string; operator: string }[] };
  readonly podMetricsEndpoints: readonly { readonly port: string; readonly relabelings?: readonly { targetLabel: string; replacement?: string }[] }[];
}

const renderedObjects = async (args: readonly string[]): Promise<Rendered[]> => parseAllDocuments(await template(args)).map((document) => document.toJS() as Rendered).filter((object) => object !== null);

/** Whether a PodMonitor's selector picks a pod with these labels (matchLabels and Exists, the only forms the chart uses). */
function selects(spec: PodMonitorSpec, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(spec.selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value)
    && (spec.selector.matchExpressions ?? []).every((expression) => expression.operator === 'Exists' && labels[expression.key] !== undefined);
}

let bed: Bed;
let directory: string;

beforeAll(async () => {
  await ensureServices();
  directory = await temporaryDirectory('helm-chart');
  bed = await startBed({ nodes: 2 });
}, ENSURE_SERVICES_TIMEOUT_MS + 240_000);

afterAll(async () => {
  await bed?.stop();
}, 120_000);

const template = (args: readonly string[]) => helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, ...args], { directory });
const install = (values: object, extra: { timeoutMs?: number } = {}) => helmInstall({ directory, kubeconfig: bed.kubeconfig, release: RELEASE, chart: CHART, namespace: NAMESPACE, values, wait: true, timeoutMs: extra.timeoutMs ?? INSTALL_TIMEOUT_MS });

async function operatorPods(): Promise<{ name: string; image: string }[]> {
  const pods = JSON.parse(await bed.kubectl(['get', 'pods', '--namespace', NAMESPACE, '-l', OPERATOR_PODS, '--field-selector', 'status.phase=Running', '-o', 'json'])) as { items: { metadata: { name: string; deletionTimestamp?: string }; spec: { containers: { image: string }[] } }[] };
  return pods.items.filter((pod) => pod.metadata.deletionTimestamp === undefined).map((pod) => ({ name: pod.metadata.name, image: pod.spec.containers[0]?.image ?? '' }));
}

/** Each member pod's uid and restart count: what a change to the operator must leave alone. */
async function memberFingerprint(): Promise<Map<string, string>> {
  return new Map((await memberPods(bed, NAMESPACE, CLUSTER)).map((pod) => [pod.metadata?.name ?? '', `${pod.metadata?.uid} restarts ${pod.status?.containerStatuses?.[0]?.restartCount ?? 0}`]));
}

async function readKey(key: string): Promise<string> {
  const [url] = [...(await memberUrls(bed, NAMESPACE, CLUSTER)).values()];
  const answer = await request(url!, 'GET', `/api/v1/keys/${key}`);
  expect(answer.status).toBe(200);
  return answer.text;
}

describe('the beaver-vault Helm chart', () => {
  it('lints clean, and its values schema refuses a bad value by name', async () => {
    const lint = await helm(['lint', '--strict', CHART, '--set', 'cluster.create=true', ...EVERY_MONITORING_PART], { directory });
    expect(lint).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    const refusals: [string[], RegExp][] = [
      [['--set', 'replicaCount=0'], /replicaCount.*minimum/is],
      [['--set', 'operator.caLifetime=forever'], /caLifetime.*(pattern|does not match)/is],
      [['--set', 'image.pullPolicy=Sometimes'], /pullPolicy/i],
      [['--set', 'replicas=3'], /additional propert.*replicas|replicas.*not allowed/is],
      [['--set', 'cluster.create=true', '--set', 'cluster.spec.replicas=12'], /cluster\.spec\.replicas|replicas.*maximum/is],
      [['--set', 'serviceAccount.create=false'], /serviceAccount\.name is required/],
      [['--set', 'monitoring.prometheusRule.enable=true'], /additional propert.*enable|enable.*not allowed/is],
      [['--set', 'monitoring.podMonitor.scheme=ftp'], /scheme/i],
      [['--set', 'monitoring.dashboards.label=not a label'], /dashboards\.label.*(pattern|does not match)/is],
    ];
    for (const [args, message] of refusals) await expect(template(args), args.join(' ')).rejects.toThrow(message);
  }, 120_000);

  it('ships the alert rules as a PrometheusRule when asked, the same rules promtool tests', async () => {
    expect(await template([])).not.toContain('kind: PrometheusRule');
    const rendered = parseAllDocuments(await template(['--set', 'monitoring.prometheusRule.enabled=true', '--set', 'monitoring.prometheusRule.labels.release=monitoring'])).map((document) => document.toJS() as { kind?: string; metadata?: { labels?: Record<string, string> }; spec?: unknown });
    const rule = rendered.find((object) => object?.kind === 'PrometheusRule');
    expect(rule?.metadata?.labels?.release).toBe('monitoring');
    expect(rule?.spec).toEqual(parse(await readFile(ALERTS, 'utf8')));
  }, 60_000);

  it('ships the Grafana dashboards as ConfigMaps for the sidecar, the very JSON of observability/grafana, which manifests/dashboards holds rendered', async () => {
    expect((await renderedObjects([])).filter((object) => object.kind === 'ConfigMap')).toEqual([]);
    const rendered = await renderedObjects(['--set', 'monitoring.dashboards.enabled=true', '--set', 'monitoring.dashboards.namespace=monitoring', '--set', 'monitoring.dashboards.annotations.grafana_folder=Beaver-Vault']);
    const configMaps = rendered.filter((object) => object.kind === 'ConfigMap');
    expect(configMaps.map((configMap) => configMap.metadata?.name).sort()).toEqual(['bvault-beaver-vault-dashboard-cluster', 'bvault-beaver-vault-dashboard-member', 'bvault-beaver-vault-dashboard-operator']);
    for (const configMap of configMaps) {
      expect(configMap.metadata).toMatchObject({ namespace: 'monitoring', labels: { grafana_dashboard: '1' }, annotations: { grafana_folder: 'Beaver-Vault' } });
      const [[file, json]] = Object.entries(configMap.data ?? {}) as [[string, string]];
      expect(JSON.parse(json)).toEqual(JSON.parse(await readFile(join(DASHBOARDS, file), 'utf8')));
    }
    const relabelled = await renderedObjects(['--set', 'monitoring.dashboards.enabled=true', '--set', 'monitoring.dashboards.label=dashboards.example.com/grafana', '--set', 'monitoring.dashboards.labelValue=yes']);
    expect(relabelled.find((object) => object.kind === 'ConfigMap')?.metadata?.labels).toMatchObject({ 'dashboards.example.com/grafana': 'yes' });
    expect(await readFile(DASHBOARDS_FILE, 'utf8'), 'manifests/dashboards is out of date with the dashboards: run npm run manifests').toBe(await renderDashboardManifests());
    const built = await bed.kubectl(['kustomize', join(REPOSITORY_ROOT, 'manifests', 'dashboards')]);
    expect([...built.matchAll(/^kind: ConfigMap$/gm)]).toHaveLength(3);
  }, 60_000);

  // The PrometheusRule and PodMonitors are left out: the bed has no Prometheus Operator CRDs.
  it('renders objects the API server accepts, with every optional part on', async () => {
    await bed.kubectl(['apply', '--server-side', '-f', CRD]);
    await bed.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/kvclusters.kv.beavervault.io']);
    await bed.kubectl(['create', 'namespace', NAMESPACE]);
    const rendered = await template([
      '--set', 'cluster.create=true',
      '--set', 'operator.watchNamespace=apps',
      '--set', 'operator.memberImageRepository=registry.example.com/beaver-vault',
      '--set', 'serviceAccount.annotations.team=storage',
      '--set', 'podLabels.tier=platform', '--set', 'podAnnotations.note=operator',
      '--set', 'imagePullSecrets[0].name=registry',
      '--set', 'priorityClassName=system-cluster-critical',
      '--set', 'nodeSelector.kubernetes\\.io/os=linux',
      '--set', 'tolerations[0].key=dedicated', '--set', 'tolerations[0].operator=Exists',
      '--set', 'monitoring.dashboards.enabled=true',
    ]);
    const kinds = [...rendered.matchAll(/^kind: (\w+)$/gm)].map((match) => match[1]).sort();
    expect(kinds).toEqual(['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'ConfigMap', 'ConfigMap', 'Deployment', 'KVCluster', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
    const accepted = await bed.kubectl(['apply', '--dry-run=server', '-f', '-'], rendered);
    expect(accepted.trim().split('\n')).toHaveLength(kinds.length);
    expect(accepted).toContain('kvcluster.kv.beavervault.io/beaver-vault created (server dry run)');
    // The values schema checks the replicas of cluster.spec and leaves the rest to the CRD, which the API server applies.
    const incomplete = await template(['--set', 'cluster.create=true', '--set', 'cluster.spec.backup.schedule=0 * * * *']);
    await expect(bed.kubectl(['apply', '--dry-run=server', '-f', '-'], incomplete)).rejects.toThrow(/spec\.backup\.s3: Required value/);
  }, 120_000);

  it('installs the operator, which forms the KVCluster made from values; kubectl shows it', async () => {
    const output = await install(CLUSTER_VALUES);
    expect(output).toContain(`KVCluster ${CLUSTER} is being formed in ${NAMESPACE}`);
    await waitForCluster(bed, NAMESPACE, CLUSTER, 'three ready members', 300_000, isRunningWith(3));
    expect((await operatorPods()).map((pod) => pod.image)).toEqual(['beaver-vault:0.1.0', 'beaver-vault:0.1.0']);
    const [url] = [...(await memberUrls(bed, NAMESPACE, CLUSTER)).values()];
    expect((await request(url!, 'PUT', '/api/v1/keys/installed', 'by helm')).status).toBe(200);

    const table = await bed.kubectl(['get', 'kvc', '--namespace', NAMESPACE]);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+READY\s+DESIRED\s+LEADER\s+VERSION\s+PHASE\s+LAST BACKUP\s+AGE$/);
    expect(table.split('\n')[1]).toMatch(new RegExp(`^${CLUSTER}\\s+3\\s+3\\s+${CLUSTER}-\\S+\\s+0\\.1\\.0\\s+Running\\s+`));
    const description = await bed.kubectl(['describe', 'kvc', CLUSTER, '--namespace', NAMESPACE]);
    expect(description).toMatch(/Events:[\s\S]*Bootstrap[\s\S]*AddLearner/);
    expect(await bed.kubectl(['explain', 'kvcluster.spec.backup.retention'])).toMatch(/count\s+<integer>[\s\S]*newest backups are kept/);
  }, INSTALL_TIMEOUT_MS + 330_000);

  it('renders PodMonitors that select the member pods the operator made, on their http port, and the operator\'s pods on their metrics port', async () => {
    expect((await renderedObjects([])).filter((object) => object.kind === 'PodMonitor')).toEqual([]);
    const monitors = (await renderedObjects(['--set', 'monitoring.podMonitor.enabled=true', '--set', 'monitoring.podMonitor.labels.release=monitoring'])).filter((object) => object.kind === 'PodMonitor');
    expect(monitors.map((monitor) => monitor.metadata?.labels?.release)).toEqual(['monitoring', 'monitoring']);
    const [members, operator] = monitors.map((monitor) => monitor.spec!) as [PodMonitorSpec, PodMonitorSpec];
    expect(members.namespaceSelector).toEqual({ any: true });
    const pods = await memberPods(bed, NAMESPACE, CLUSTER);
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(selects(members, pod.metadata?.labels ?? {}), pod.metadata?.name).toBe(true);
      expect(selects(operator, pod.metadata?.labels ?? {}), pod.metadata?.name).toBe(false);
      expect(pod.spec?.containers[0]?.ports?.map((port) => port.name)).toContain(members.podMetricsEndpoints[0]?.port);
    }
    // The alert rules select member jobs by name (job=~".*bvault.*"); the operator's job must not match.
    expect(members.podMetricsEndpoints[0]?.relabelings?.find((relabeling) => relabeling.targetLabel === 'job')?.replacement).toMatch(/bvault/);
    expect(operator.podMetricsEndpoints[0]?.relabelings?.find((relabeling) => relabeling.targetLabel === 'job')?.replacement).not.toMatch(/bvault/);
    const operatorPodList = JSON.parse(await bed.kubectl(['get', 'pods', '--namespace', NAMESPACE, '-l', OPERATOR_PODS, '-o', 'json'])) as { items: V1Pod[] };
    expect(operatorPodList.items.length).toBeGreaterThan(0);
    for (const pod of operatorPodList.items) {
      expect(selects(operator, pod.metadata?.labels ?? {})).toBe(true);
      expect(pod.spec?.containers[0]?.ports?.map((port) => port.name)).toContain(operator.podMetricsEndpoints[0]?.port);
    }
    const watchingOne = (await renderedObjects(['--set', 'monitoring.podMonitor.enabled=true', '--set', 'operator.watchNamespace=apps'])).find((object) => object.kind === 'PodMonitor');
    expect(watchingOne?.spec?.namespaceSelector).toEqual({ matchNames: ['apps'] });
  }, 60_000);

  it('upgrades the operator to a new version without touching the cluster\'s members', async () => {
    const before = await memberFingerprint();
    const oldPods = new Set((await operatorPods()).map((pod) => pod.name));
    await install({ ...CLUSTER_VALUES, image: { tag: '0.1.1' } });
    await bed.kubectl(['rollout', 'status', `deployment/${OPERATOR}`, '--namespace', NAMESPACE, '--timeout=180s']);
    const pods = await waitFor('two new operator pods', 120_000, async () => {
      const current = await operatorPods();
      return current.length === 2 && current.every((pod) => !oldPods.has(pod.name)) ? current : undefined;
    });
    expect(pods.map((pod) => pod.image)).toEqual(['beaver-vault:0.1.1', 'beaver-vault:0.1.1']);
    // A new operator leads, and takes the cluster as it finds it.
    await waitFor('a new operator to hold the Lease', 120_000, async () => {
      const holder = (await bed.kubectl(['get', 'lease', 'bvault-operator', '--namespace', NAMESPACE, '-o', 'jsonpath={.spec.holderIdentity}'])).trim();
      return pods.some((pod) => pod.name === holder) ? holder : undefined;
    });
    await waitForCluster(bed, NAMESPACE, CLUSTER, 'the cluster, still as it was', 120_000, isRunningWith(3));
    expect(await memberFingerprint()).toEqual(before);
    expect(await readKey('installed')).toContain('by helm');
  }, INSTALL_TIMEOUT_MS + 420_000);

  it('uninstalls the operator, keeping the CRD and the KVCluster with its data', async () => {
    const before = await memberFingerprint();
    await helm(['uninstall', RELEASE, '--namespace', NAMESPACE, '--wait', '--timeout', '120s'], { directory, kubeconfig: bed.kubeconfig, timeoutMs: 150_000 });
    await waitFor('the operator pods to go', 120_000, async () => ((await operatorPods()).length === 0 ? true : undefined));
    await expect(bed.kubectl(['get', 'deployment', OPERATOR, '--namespace', NAMESPACE])).rejects.toThrow(/NotFound|not found/);
    expect(await bed.kubectl(['get', 'crd', 'kvclusters.kv.beavervault.io', '-o', 'name'])).toContain('kvclusters.kv.beavervault.io');
    expect(await bed.kubectl(['get', 'kvc', CLUSTER, '--namespace', NAMESPACE, '-o', 'name'])).toContain(CLUSTER);
    expect(await memberFingerprint()).toEqual(before);
    expect(await readKey('installed')).toContain('by helm');
  }, 300_000);
});
