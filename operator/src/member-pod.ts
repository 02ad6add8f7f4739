// A member's pod and volume. Each member is one pod and one PersistentVolumeClaim, both named
// after the member and owned by the KVCluster. The pod runs `bvault server` with the settings
// the operator owns in its environment and the user's settings from the cluster's ConfigMap.
// Every member but the first starts with wait-for-join: a new one waits until the cluster that
// added it invites it, and one whose volume holds data restarts into its cluster either way, so
// a member whose volume were replaced by an empty one could never form a cluster of its own.

import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { tlsSecretsOf } from './cluster-certificates.js';
import { ANNOTATIONS, clusterLabels, LABELS, ownerReferenceTo, PORTS, peerHostOf, peerServiceName, type KVCluster } from './kvcluster.js';
import { CONFIG_FILE_KEY, configMapName } from './cluster-objects.js';

const DATA_DIRECTORY = '/var/lib/bvault';
const CONFIG_DIRECTORY = '/etc/bvault';
/** Each endpoint's Secret (tls.crt, tls.key, ca.crt) is mounted here: members re-read the files every second. */
const TLS_DIRECTORY = { client: '/etc/bvault-tls/client', peer: '/etc/bvault-tls/peer' } as const;
/** A member stops within its shutdown deadline: its last writes are flushed, its leadership handed over. */
const TERMINATION_GRACE_SECONDS = 30;

export interface MemberImage {
  /** The repository of the members' image when spec.image is not given; the tag is the version. */
  readonly repository: string;
  readonly pullPolicy?: string;
}

/**
 * A digest of what in the spec shapes a member's pod besides its version: the image, resources,
 * scheduling and metadata overrides, and the server settings (read once, at start). A pod made
 * from another digest is rolled, one member at a time, like an upgrade.
 */
export function specDigestOf(cluster: KVCluster, image: MemberImage): string {
  const { spec } = cluster;
  const shaping = [spec.image ?? image.repository, spec.imagePullSecrets ?? [], spec.resources ?? {}, spec.pod ?? {}, spec.settings ?? {}, spec.tls ?? {}];
  return createHash('sha256').update(JSON.stringify(shaping)).digest('hex').slice(0, 16);
}

export function memberLabels(cluster: KVCluster, member: string): Record<string, string> {
  return { ...clusterLabels(cluster), [LABELS.member]: member };
}

export function memberVolume(cluster: KVCluster, member: string, version: string): V1PersistentVolumeClaim {
  const { size, storageClassName } = cluster.spec.storage;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: member,
      namespace: cluster.metadata.namespace,
      labels: memberLabels(cluster, member),
      annotations: { [ANNOTATIONS.version]: version },
      ownerReferences: [ownerReferenceTo(cluster)],
    },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: String(size) } },
      ...(storageClassName === undefined ? {} : { storageClassName }),
    },
  };
}

export interface MemberPodOptions {
  readonly member: string;
  readonly version: string;
  /** Only the first member forms the cluster; every other one waits to be invited. */
  readonly formsCluster: boolean;
  readonly image: MemberImage;
}

export function memberPod(cluster: KVCluster, options: MemberPodOptions): V1Pod {
  const { member, version } = options;
  const podSettings = cluster.spec.pod ?? {};
  const tls = tlsSecretsOf(cluster);
  const probeScheme = tls.client === undefined ? 'HTTP' : 'HTTPS';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: member,
      namespace: cluster.metadata.namespace,
      labels: { ...podSettings.labels, ...memberLabels(cluster, member) },
      annotations: { ...podSettings.annotations, [ANNOTATIONS.version]: version, [ANNOTATIONS.specDigest]: specDigestOf(cluster, options.image) },
      ownerReferences: [ownerReferenceTo(cluster)],
    },
    spec: {
      // The headless Service's name makes <member>.<cluster>-peers.<namespace>.svc the pod's own name.
      hostname: member,
      subdomain: peerServiceName(cluster),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532 },
      ...(cluster.spec.imagePullSecrets === undefined ? {} : { imagePullSecrets: [...cluster.spec.imagePullSecrets] }),
      ...(podSettings.nodeSelector === undefined ? {} : { nodeSelector: podSettings.nodeSelector }),
      ...(podSettings.priorityClassName === undefined ? {} : { priorityClassName: podSettings.priorityClassName }),
      ...(podSettings.affinity === undefined ? {} : { affinity: podSettings.affinity }),
      ...(podSettings.tolerations === undefined ? {} : { tolerations: podSettings.tolerations }),
      ...(podSettings.topologySpreadConstraints === undefined ? {} : { topologySpreadConstraints: podSettings.topologySpreadConstraints }),
      containers: [
        {
          name: 'bvault',
          image: cluster.spec.image ?? `${options.image.repository}:${version}`,
          ...(options.image.pullPolicy === undefined ? {} : { imagePullPolicy: options.image.pullPolicy }),
          args: ['server', '--config', `${CONFIG_DIRECTORY}/${CONFIG_FILE_KEY}`],
          env: memberEnvironment(cluster, options),
          ports: [
            { name: 'http', containerPort: PORTS.http },
            { name: 'grpc', containerPort: PORTS.grpc },
            { name: 'peer', containerPort: PORTS.peer },
          ],
          readinessProbe: { httpGet: { path: '/readyz', port: 'http', scheme: probeScheme }, periodSeconds: 2, failureThreshold: 2 },
          livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: probeScheme }, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 5 },
          ...(cluster.spec.resources === undefined ? {} : { resources: cluster.spec.resources }),
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          volumeMounts: [
            { name: 'data', mountPath: DATA_DIRECTORY },
            { name: 'config', mountPath: CONFIG_DIRECTORY, readOnly: true },
            ...(tls.client === undefined ? [] : [{ name: 'client-tls', mountPath: TLS_DIRECTORY.client, readOnly: true }]),
            ...(tls.peer === undefined ? [] : [{ name: 'peer-tls', mountPath: TLS_DIRECTORY.peer, readOnly: true }]),
          ],
        },
      ],
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: member } },
        { name: 'config', configMap: { name: configMapName(cluster) } },
        ...(tls.client === undefined ? [] : [{ name: 'client-tls', secret: { secretName: tls.client } }]),
        ...(tls.peer === undefined ? [] : [{ name: 'peer-tls', secret: { secretName: tls.peer } }]),
      ],
    },
  };
}

function memberEnvironment(cluster: KVCluster, options: MemberPodOptions): { name: string; value?: string; valueFrom?: object }[] {
  const dnsName = peerHostOf(cluster, options.member);
  const tls = tlsSecretsOf(cluster);
  const scheme = tls.client === undefined ? 'http' : 'https';
  const files = (directory: string, prefix: string) => [
    { name: `BVAULT_${prefix}CERT_FILE`, value: `${directory}/tls.crt` },
    { name: `BVAULT_${prefix}KEY_FILE`, value: `${directory}/tls.key` },
    { name: `BVAULT_${prefix}TRUSTED_CA_FILE`, value: `${directory}/ca.crt` },
  ];
  return [
    { name: 'BVAULT_NODE_ID', value: options.member },
    { name: 'BVAULT_DATA_DIR', value: `${DATA_DIRECTORY}/data` },
    { name: 'BVAULT_HTTP_HOST', value: '0.0.0.0' },
    { name: 'BVAULT_HTTP_PORT', value: String(PORTS.http) },
    { name: 'BVAULT_GRPC_PORT', value: String(PORTS.grpc) },
    { name: 'BVAULT_RAFT_HOST', value: '0.0.0.0' },
    { name: 'BVAULT_RAFT_PORT', value: String(PORTS.peer) },
    { name: 'BVAULT_ADVERTISE_PEER_ADDRESS', value: `${dnsName}:${PORTS.peer}` },
    { name: 'BVAULT_ADVERTISE_CLIENT_URLS', value: `${scheme}://${dnsName}:${PORTS.http}` },
    { name: 'BVAULT_ADVERTISE_GRPC_URLS', value: `${scheme}://${dnsName}:${PORTS.grpc}` },
    ...(tls.client === undefined ? [] : files(TLS_DIRECTORY.client, '')),
    // Peers always check each other's certificates: a member of another cluster never joins.
    ...(tls.peer === undefined ? [] : [...files(TLS_DIRECTORY.peer, 'PEER_'), { name: 'BVAULT_PEER_CLIENT_CERT_AUTH', value: 'true' }]),
    ...(options.formsCluster ? [] : [{ name: 'BVAULT_WAIT_FOR_JOIN', value: 'true' }]),
    { name: 'BVAULT_LOG_FORMAT', value: 'json' },
  ];
}
