// The objects a cluster needs besides its members, kept as the spec says on every pass through
// server-side apply (so a pass that repeats one changes nothing, and fields others set are
// left alone): the ConfigMap of server settings, the headless Service that gives each member
// its DNS name, the client Service, and a PodDisruptionBudget that keeps a quorum up through
// voluntary disruptions such as a node drain.

import { PatchStrategy, type KubernetesObject, type KubernetesObjectApi } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { clusterLabels, FIELD_MANAGER, ownerReferenceTo, PORTS, peerServiceName, podSelectorLabels, type KVCluster } from './kvcluster.js';

export const CONFIG_FILE_KEY = 'bvault.yaml';

export function configMapName(cluster: KVCluster): string {
  return `${cluster.metadata.name}-config`;
}

export function clusterObjects(cluster: KVCluster): KubernetesObject[] {
  const metadata = (name: string) => ({ name, namespace: cluster.metadata.namespace, labels: clusterLabels(cluster), ownerReferences: [ownerReferenceTo(cluster)] });
  const memberPods = podSelectorLabels(cluster);
  const ports = [
    { name: 'grpc', port: PORTS.grpc, targetPort: 'grpc' },
    { name: 'http', port: PORTS.http, targetPort: 'http' },
  ];
  const quorum = Math.floor(cluster.spec.replicas / 2) + 1;
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(configMapName(cluster)), data: { [CONFIG_FILE_KEY]: settingsFile(cluster) } } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: metadata(peerServiceName(cluster)),
      // Published before the members are ready: they must find each other to elect a leader.
      spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: memberPods, ports: [...ports, { name: 'peer', port: PORTS.peer, targetPort: 'peer' }] },
    } as KubernetesObject,
    { apiVersion: 'v1', kind: 'Service', metadata: metadata(cluster.metadata.name), spec: { type: 'ClusterIP', selector: memberPods, ports } } as KubernetesObject,
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: metadata(cluster.metadata.name),
      spec: { minAvailable: quorum, selector: { matchLabels: memberPods } },
    } as KubernetesObject,
  ];
}

/** The user's server settings as the YAML file every member reads with --config. */
function settingsFile(cluster: KVCluster): string {
  const settings = cluster.spec.settings ?? {};
  return Object.keys(settings).length === 0 ? '# no settings besides the ones the operator sets\n' : stringify(settings);
}

export async function applyClusterObjects(objects: KubernetesObjectApi, cluster: KVCluster): Promise<void> {
  for (const object of clusterObjects(cluster)) {
    await objects.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }
}
