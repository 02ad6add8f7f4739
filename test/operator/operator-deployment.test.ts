// The operator as a cluster runs it: `kubectl apply -k manifests/` on the test bed makes the CRD,
// its namespace, ServiceAccount, RBAC and a two-replica Deployment whose pods run `bvault
// operator` with in-cluster credentials. One replica leads and reconciles a KVCluster with
// nothing but the permissions its ClusterRole grants; when the leading pod goes, the other
// takes over and goes on. The examples in manifests/examples are applied as a user would and
// reconciled by that operator: the production one with TLS, authentication, members on three
// nodes and backups (to a MinIO, the one change the test makes to it besides a schedule that
// comes round within the test).

import { AuthorizationV1Api } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { request, temporaryDirectory, waitFor } from '../cluster/cluster-harness.js';
import { startBed, type Bed } from '../k8s/bed/bed.js';
import { REPOSITORY_ROOT } from '../k8s/bed/paths.js';
import { PidRegistry, stopByPid } from '../k8s/bed/processes.js';
import { startMinio, type Minio } from '../k8s/services/minio.js';
import { ENSURE_SERVICES_TIMEOUT_MS, ensureServices } from '../k8s/services/tool-paths.js';
import type { KVCluster } from '../../operator/src/kvcluster.js';
import { MANIFESTS_FILE, renderManifests } from '../../scripts/manifests.js';
import { callOverTls, isRunningWith, kvclusterManifest, memberAddresses, memberPods, secretText, waitForCluster } from './operator-harness.js';

const MANIFESTS = join(REPOSITORY_ROOT, 'manifests');
const OPERATOR_NAMESPACE = 'bvault-system';
const SERVICE_ACCOUNT = `system:serviceaccount:${OPERATOR_NAMESPACE}:beaver-vault-operator`;
const NAMESPACE = 'apps';
const EXAMPLES = join(MANIFESTS, 'examples');

let bed: Bed;
let minio: Minio;
let registry: PidRegistry;

beforeAll(async () => {
  await ensureServices();
  // Three nodes: the production example asks for every member on a node of its own.
  bed = await startBed({ nodes: 3 });
  const directory = await temporaryDirectory('deployment-minio');
  registry = new PidRegistry(join(directory, 'pids'));
  // On the bed's bridge, where the operator's pods reach it.
  minio = await startMinio({ directory, registry, host: bed.network.gatewayAddress });
}, ENSURE_SERVICES_TIMEOUT_MS + 240_000);

afterAll(async () => {
  if (registry !== undefined) await stopByPid(registry.entries().map((entry) => entry.pid), 5_000);
  await bed?.stop();
}, 120_000);

/** The operator pod that holds the Lease, from the Lease itself. */
async function leaseHolder(): Promise<string> {
  return (await bed.kubectl(['get', 'lease', 'bvault-operator', '--namespace', OPERATOR_NAMESPACE, '-o', 'jsonpath={.spec.holderIdentity}'])).trim();
}

async function operatorPods(): Promise<string[]> {
  const names = await bed.kubectl(['get', 'pods', '--namespace', OPERATOR_NAMESPACE, '-l', 'app.kubernetes.io/component=operator', '--field-selector', 'status.phase=Running', '-o', 'jsonpath={.items[*].metadata.name}']);
  return names.trim().split(/\s+/).filter((name) => name !== '');
}

describe('the operator deployed with kubectl apply -k manifests/', () => {
  it('installs the chart rendered with its defaults (run npm run manifests after changing the chart)', async () => {
    expect(await readFile(MANIFESTS_FILE, 'utf8'), 'manifests/beaver-vault.yaml is out of date with the chart: run npm run manifests').toBe(await renderManifests());
  }, 60_000);

  it('grants the operator what it needs and nothing more', async () => {
    await bed.kubectl(['apply', '-k', MANIFESTS]);
    const authorization = bed.kubeConfig().makeApiClient(AuthorizationV1Api);
    // A SubjectAccessReview asks the API server's authorizer itself what the ServiceAccount may do.
    const may = async (verb: string, resource: string, options: { group?: string; subresource?: string; namespace?: string } = {}) => {
      const review = await authorization.createSubjectAccessReview({
        body: {
          spec: {
            user: SERVICE_ACCOUNT,
            groups: ['system:serviceaccounts', `system:serviceaccounts:${OPERATOR_NAMESPACE}`, 'system:authenticated'],
            resourceAttributes: { verb, resource, group: options.group ?? '', subresource: options.subresource ?? '', namespace: options.namespace ?? NAMESPACE },
          },
        },
      });
      return review.status?.allowed === true;
    };
    expect(await may('create', 'pods')).toBe(true);
    expect(await may('watch', 'kvclusters', { group: 'kv.beavervault.io' })).toBe(true);
    expect(await may('patch', 'kvclusters', { group: 'kv.beavervault.io', subresource: 'status' })).toBe(true);
    expect(await may('patch', 'poddisruptionbudgets', { group: 'policy' })).toBe(true);
    expect(await may('patch', 'certificates', { group: 'cert-manager.io' })).toBe(true);
    expect(await may('update', 'leases', { group: 'coordination.k8s.io', namespace: OPERATOR_NAMESPACE })).toBe(true);
    expect(await may('update', 'secrets')).toBe(true);
    expect(await may('list', 'secrets')).toBe(false);
    expect(await may('delete', 'secrets')).toBe(false);
    expect(await may('delete', 'services')).toBe(false);
    expect(await may('update', 'kvclusters', { group: 'kv.beavervault.io' })).toBe(false);
    expect(await may('update', 'leases', { group: 'coordination.k8s.io' })).toBe(false);
    expect(await may('create', 'deployments', { group: 'apps' })).toBe(false);
  }, 60_000);

  it('runs two replicas, one of which leads and reconciles a KVCluster', async () => {
    await waitFor('two running operator pods', 120_000, async () => ((await operatorPods()).length === 2 ? true : undefined));
    const holder = await waitFor('an operator to hold the Lease', 60_000, async () => ((await operatorPods()).includes(await leaseHolder()) ? leaseHolder() : undefined));
    await bed.kubectl(['create', 'namespace', NAMESPACE]);
    await bed.kubectl(['apply', '-f', '-'], kvclusterManifest(NAMESPACE, 'sessions', '  replicas: 1\n  version: 0.1.0\n  storage: { size: 1Gi }'));
    await waitForCluster(bed, NAMESPACE, 'sessions', 'one ready member', 180_000, isRunningWith(1));
    const standby = (await operatorPods()).find((name) => name !== holder) ?? '';
    expect(await bed.kubectl(['logs', '--namespace', OPERATOR_NAMESPACE, holder])).toContain('leading: reconciling KVClusters');
    expect(await bed.kubectl(['logs', '--namespace', OPERATOR_NAMESPACE, standby])).not.toContain('leading: reconciling KVClusters');

    const metricsOf = async (pod: string) => {
      const address = (await bed.kubectl(['get', 'pod', pod, '--namespace', OPERATOR_NAMESPACE, '-o', 'jsonpath={.status.podIP}'])).trim();
      return (await request(`http://${address}:8080`, 'GET', '/metrics')).text;
    };
    const leading = await metricsOf(holder);
    expect(leading).toMatch(/^bvault_operator_is_leader 1$/m);
    expect(leading).toMatch(/^bvault_operator_cluster_phase\{namespace="apps",cluster="sessions",phase="Running"\} 1$/m);
    expect(leading).toMatch(/^bvault_operator_steps_total\{namespace="apps",cluster="sessions",step="bootstrap"\} 1$/m);
    expect(leading).toMatch(/^bvault_operator_reconcile_duration_seconds_count [1-9]/m);
    expect(await metricsOf(standby)).toMatch(/^bvault_operator_is_leader 0$/m);
  }, 300_000);

  it('hands over to the standby when the leading pod is deleted', async () => {
    const holder = await leaseHolder();
    await bed.kubectl(['delete', 'pod', holder, '--namespace', OPERATOR_NAMESPACE, '--wait=true']);
    const next = await waitFor('another operator to hold the Lease', 60_000, async () => {
      const current = await leaseHolder();
      return current !== holder && current !== '' ? current : undefined;
    });
    expect(next).not.toBe(holder);
    await bed.kubectl(['scale', 'kvc/sessions', '--namespace', NAMESPACE, '--replicas=3']);
    await waitForCluster(bed, NAMESPACE, 'sessions', 'three ready members under the new leader', 240_000, isRunningWith(3));
    expect(await bed.kubectl(['logs', '--namespace', OPERATOR_NAMESPACE, next])).toContain('leading: reconciling KVClusters');
  }, 360_000);

  it('reconciles the minimal example', async () => {
    await bed.kubectl(['delete', 'kvc', 'sessions', '--namespace', NAMESPACE, '--wait=true']);
    await bed.kubectl(['apply', '-f', join(EXAMPLES, 'minimal.yaml')]);
    await waitForCluster(bed, 'default', 'minimal', 'the minimal example\'s three ready members', 300_000, isRunningWith(3));
    await bed.kubectl(['delete', 'kvc', 'minimal', '--namespace', 'default', '--wait=true']);
  }, 420_000);

  it('reconciles the production example: TLS, authentication, a member per node, backups', async () => {
    const namespace = 'prod';
    await bed.kubectl(['create', 'namespace', namespace]);
    await bed.kubectl(['create', 'secret', 'generic', 'orders-root', '--namespace', namespace, '--from-literal=password=a long random password']);
    await bed.kubectl(['create', 'secret', 'generic', 'orders-s3', '--namespace', namespace, `--from-literal=accessKeyId=${minio.accessKeyId}`, `--from-literal=secretAccessKey=${minio.secretAccessKey}`]);
    await minio.createBucket('orders-backups');
    const example = parse(await readFile(join(EXAMPLES, 'production.yaml'), 'utf8')) as KVCluster & { spec: { backup: { schedule: string; s3: { endpoint?: string; region?: string } } } };
    example.spec.backup.s3.endpoint = minio.endpoint;
    example.spec.backup.s3.region = minio.region;
    example.spec.backup.schedule = '* * * * *';
    await bed.kubectl(['apply', '-f', '-'], stringify(example));

    const cluster = await waitForCluster(bed, namespace, 'orders', 'the production example\'s three ready members and a backup', 420_000, (current) => isRunningWith(3)(current) && current.status?.lastBackup !== undefined);
    expect(cluster.status?.lastBackup?.location).toMatch(/^s3:\/\/orders-backups\/prod\/orders\//);
    const nodes = (await memberPods(bed, namespace, 'orders')).map((pod) => pod.spec?.nodeName);
    expect(new Set(nodes).size).toBe(3);
    // Clients trust the cluster's CA; without the root password's token a write is refused.
    const ca = await secretText(bed, namespace, 'orders-tls', 'ca.crt');
    const [member] = await memberAddresses(bed, namespace, 'orders');
    const anonymous = await callOverTls(member!, { namespace, cluster: 'orders' }, ca, 'PUT', '/api/v1/keys/anonymous', { body: 'refused' });
    expect(anonymous.status).toBe(401);
  }, 540_000);
});
