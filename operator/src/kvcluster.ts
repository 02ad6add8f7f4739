// The KVCluster resource as the operator reads it, and the names and labels of what it owns.
// The CRD (operator/crd/) is the schema; the API server has checked and defaulted every field
// described here before the operator sees it.

import type { KubernetesObject, V1Affinity, V1LocalObjectReference, V1ResourceRequirements, V1Toleration, V1TopologySpreadConstraint } from '@kubernetes/client-node';

export const GROUP = 'kv.beavervault.io';
export const VERSION = 'v1alpha1';
export const PLURAL = 'kvclusters';
export const KIND = 'KVCluster';

export interface KVClusterSpec {
  readonly replicas: number;
  readonly version?: string;
  readonly image?: string;
  readonly imagePullSecrets?: readonly V1LocalObjectReference[];
  readonly resources?: V1ResourceRequirements;
  readonly storage: { readonly size: string | number; readonly storageClassName?: string };
  readonly pod?: {
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
    readonly nodeSelector?: Record<string, string>;
    readonly priorityClassName?: string;
    readonly affinity?: V1Affinity;
    readonly tolerations?: V1Toleration[];
    readonly topologySpreadConstraints?: V1TopologySpreadConstraint[];
  };
  readonly settings?: Record<string, string>;
  readonly tls?: { readonly client?: TlsSource; readonly peer?: TlsSource };
  readonly backup?: BackupSpec;
  readonly restoreFrom?: RestoreSource;
  /** etcd's authentication, turned on by the operator with the root user and this password. */
  readonly auth?: { readonly rootPasswordSecret: { readonly name: string; readonly key?: string } };
}

/** Where one endpoint's certificates come from; the CRD allows exactly one. */
export interface TlsSource {
  readonly operatorCA?: boolean;
  readonly issuerRef?: IssuerRef;
  readonly secretName?: string;
}

/** A cert-manager Issuer or ClusterIssuer. */
export interface IssuerRef {
  readonly name: string;
  readonly kind?: string;
  readonly group?: string;
}

/** An S3 bucket (AWS or S3-compatible) and the Secret with its access key. */
export interface S3Location {
  readonly bucket: string;
  /** Put before `<cluster>/` in backup keys, as given (end it with `/` for a folder). */
  readonly prefix?: string;
  /** An S3-compatible server's URL; path-style addressing is used with it. */
  readonly endpoint?: string;
  readonly region?: string;
  /** A Secret in the cluster's namespace with the keys accessKeyId and secretAccessKey. */
  readonly credentialsSecret: { readonly name: string };
}

export interface BackupSpec {
  /** Five cron fields, in UTC. */
  readonly schedule: string;
  readonly s3: S3Location;
  readonly retention?: { readonly count?: number; readonly maxAge?: string };
}

export interface RestoreSource {
  readonly s3: S3Location;
  /** The backup's key; without it, the newest backup under `s3.prefix`. */
  readonly key?: string;
}

export interface KVClusterCondition {
  readonly type: ConditionType;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly observedGeneration?: number;
  readonly lastTransitionTime?: string;
  readonly reason: string;
  readonly message: string;
}

export type ConditionType = 'Available' | 'Progressing' | 'Degraded' | 'BackupFailing';

export interface LastBackup {
  /** When it finished, ISO 8601. */
  readonly time: string;
  /** The member's revision when the backup began: the backup holds every write up to it. */
  readonly revision: number;
  readonly sizeBytes: number;
  /** s3://bucket/key */
  readonly location: string;
}

export interface RestoredFrom {
  /** s3://bucket/key of the backup the cluster started from. */
  readonly location: string;
  /** The revision the backup was taken at. */
  readonly backupRevision?: number;
  /** The cluster's revision once the restore was applied (past every revision of the backup). */
  readonly revision: number;
  readonly time: string;
}

export interface KVClusterMemberStatus {
  readonly name: string;
  readonly id: string;
  readonly role: 'leader' | 'follower' | 'learner';
  readonly ready: boolean;
  readonly version?: string;
  readonly appliedIndex?: number;
}

export type Phase = 'Creating' | 'Restoring' | 'Running' | 'Scaling' | 'Upgrading' | 'Degraded' | 'QuorumLost';

export interface KVClusterStatus {
  readonly observedGeneration?: number;
  readonly phase: Phase;
  readonly replicas?: number;
  readonly readyMembers?: number;
  readonly selector?: string;
  readonly leader?: string;
  readonly version?: string;
  readonly clusterId?: string;
  readonly members?: readonly KVClusterMemberStatus[];
  readonly conditions?: readonly KVClusterCondition[];
  /** Written by a backup when it succeeds, never by a pass. */
  readonly lastBackup?: LastBackup;
  /** Written once the restore from spec.restoreFrom was applied; the cluster grows only after. */
  readonly restoredFrom?: RestoredFrom;
}

export interface KVCluster extends KubernetesObject {
  readonly metadata: { readonly name: string; readonly namespace: string; readonly uid: string; readonly generation?: number; readonly creationTimestamp?: Date; readonly deletionTimestamp?: Date };
  readonly spec: KVClusterSpec;
  readonly status?: KVClusterStatus;
}

/** Ports every member listens on; fixed, so Services and peers never need to ask. */
export const PORTS = { http: 8000, grpc: 9090, peer: 7000 } as const;

export const LABELS = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  managedBy: 'app.kubernetes.io/managed-by',
  member: `${GROUP}/member`,
} as const;

export const ANNOTATIONS = {
  /** On a member's pod and volume: the Beaver-Vault version the member runs, or will after an upgrade. */
  version: `${GROUP}/version`,
  /** On a member's pod: the digest of the spec it was made from. */
  specDigest: `${GROUP}/spec-digest`,
  /** On a cluster's CA Secret: when the trusted CAs or the signing CA last changed. */
  trustChangedAt: `${GROUP}/trust-changed-at`,
} as const;

export const FIELD_MANAGER = 'bvault-operator';

/** The labels of everything the operator makes for a cluster. */
export function clusterLabels(cluster: KVCluster): Record<string, string> {
  return { ...podSelectorLabels(cluster), [LABELS.managedBy]: FIELD_MANAGER };
}

/** The labels that pick a cluster's member pods (for Services, the budget and the scale subresource). */
export function podSelectorLabels(cluster: KVCluster): Record<string, string> {
  return { [LABELS.name]: 'beaver-vault', [LABELS.instance]: cluster.metadata.name };
}

export function selectorText(labels: Record<string, string>): string {
  return Object.entries(labels).map(([key, value]) => `${key}=${value}`).join(',');
}

/** Selects the member pods and volumes of a cluster. */
export function memberSelector(cluster: KVCluster): string {
  return `${selectorText(podSelectorLabels(cluster))},${LABELS.member}`;
}

export function peerServiceName(cluster: KVCluster): string {
  return `${cluster.metadata.name}-peers`;
}

/** Whether a name of memberHosts is an IPv4 address (a certificate carries it as an IP SAN, not a DNS name). */
export function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host);
}

/** Every name a client or a peer may dial a member by. */
export function memberHosts(cluster: KVCluster): string[] {
  const { name, namespace } = cluster.metadata;
  const peers = `${peerServiceName(cluster)}.${namespace}.svc`;
  return [`*.${peers}`, `*.${peers}.cluster.local`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`, `${name}.${namespace}`, name, 'localhost', '127.0.0.1'];
}

/** A member's DNS name, through the headless Service; the name its certificate is checked against. */
export function peerHostOf(cluster: KVCluster, member: string): string {
  return `${member}.${peerServiceName(cluster)}.${cluster.metadata.namespace}.svc`;
}

/** host:port where the other members reach a member's Raft transport. */
export function peerAddressOf(cluster: KVCluster, member: string): string {
  return `${peerHostOf(cluster, member)}:${PORTS.peer}`;
}

export function ownerReferenceTo(cluster: KVCluster): { apiVersion: string; kind: string; name: string; uid: string; controller: boolean; blockOwnerDeletion: boolean } {
  return { apiVersion: `${GROUP}/${VERSION}`, kind: KIND, name: cluster.metadata.name, uid: cluster.metadata.uid, controller: true, blockOwnerDeletion: true };
}

/** Whether the cluster is to start from a backup it has not restored yet. */
export function awaitsRestore(cluster: KVCluster): boolean {
  return cluster.spec.restoreFrom !== undefined && cluster.status?.restoredFrom === undefined;
}
