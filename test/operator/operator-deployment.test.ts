// The operator as a cluster runs it: `kubectl apply -k operator/deploy` on the test bed makes
// its namespace, ServiceAccount, RBAC and a two-replica Deployment whose pods run `bvault
// operator` with in-cluster credentials. One replica leads and reconciles a KVCluster with
// nothing but the permissions its ClusterRole grants; when the leading pod goes, the other
// takes over and goes on.

import { AuthorizationV1Api } from '@kubernetes/client-node';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, waitFor } from '../cluster/cluster-harness.js';
import { startBed, type Bed } from '../k8s/bed/bed.js';
import { REPOSITORY_ROOT } from '../k8s/bed/paths.js';
import { isRunningWith, kvclusterManifest, waitForCluster } from './operator-harness.js';

const DEPLOY = join(REPOSITORY_ROOT, 'operator', 'deploy');
const OPERATOR_NAMESPACE = 'bvault-system';
const SERVICE_ACCOUNT = `system:serviceaccount:${OPERATOR_NAMESPACE}:bvault-operator`;
const NAMESPACE = 'apps';

let bed: Bed;

beforeAll(async () => {
  bed = await startBed({ nodes: 2 });
}, 240_000);

afterAll(async () => {
  await bed?.stop();
}, 120_000);

/** The operator pod that holds the Lease, from the Lease itself. */
async function leaseHolder(): Promise<string> {
  return (await bed.kubectl(['get', 'lease', 'bvault-operator', '--namespace', OPERATOR_NAMESPACE, '-o', 'jsonpath={.spec.holderIdentity}'])).trim();
}

async function operatorPods(): Promise<string[]> {
  const names = await bed.kubectl(['get', 'pods', '--namespace', OPERATOR_NAMESPACE, '-l', 'app.kubernetes.io/name=bvault-operator', '--field-selector', 'status.phase=Running', '-o', 'jsonpath={.items[*].metadata.name}']);
  return names.trim().split(/\s+/).filter((name) => name !== '');
}

describe('the operator deployed with kubectl apply -k', () => {
  it('grants the operator what it needs and nothing more', async () => {
    await bed.kubectl(['apply', '-k', DEPLOY]);
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
});
