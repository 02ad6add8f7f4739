// One look at a cluster: its member pods and volumes from Kubernetes, and from the members
// themselves the Raft membership (as the leader, or a member that knows one, reports it), each
// member's status and readiness. Nothing is remembered from an earlier look.

import type { CoreV1Api, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type { ClusterTrust } from './cluster-certificates.js';
import { ANNOTATIONS, awaitsRestore, LABELS, memberSelector, peerHostOf, PORTS, type KVCluster } from './kvcluster.js';
import { MemberApi, type MemberSelfStatus } from './member-api.js';
import { firstMemberName } from './member-names.js';
import { specDigestOf, type MemberImage } from './member-pod.js';
import type { ClusterObservation, MemberObservation, PodObservation } from './next-step.js';

export interface ObservedCluster {
  readonly observation: ClusterObservation;
  readonly clusterId?: string;
  /** Each answering member's own status, by member name. */
  readonly statuses: ReadonlyMap<string, MemberSelfStatus>;
  /** Each answering member's API, by member name. */
  readonly apis: ReadonlyMap<string, MemberApi>;
  /** The API of the leader's pod, when the leader answered. */
  readonly leaderApi?: MemberApi;
  /** The member volumes' claims, as Kubernetes has them (none being deleted). */
  readonly claims: readonly V1PersistentVolumeClaim[];
}

export interface DesiredMembers {
  readonly version: string;
  readonly image: MemberImage;
  /** The CA bundle of the members' client port, when it serves TLS. */
  readonly trust?: ClusterTrust;
  /** spec.auth's root password, when the cluster is to have authentication on. */
  readonly rootPassword?: () => Promise<string>;
  /** Why the members' certificates are not there yet (a cert-manager issuer has not signed them). */
  readonly certificatePending?: string;
}

export async function observeCluster(core: CoreV1Api, cluster: KVCluster, desired: DesiredMembers, nowMs: number): Promise<ObservedCluster> {
  const { namespace } = cluster.metadata;
  const labelSelector = memberSelector(cluster);
  const [podList, volumeList] = await Promise.all([
    core.listNamespacedPod({ namespace, labelSelector }),
    core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector }),
  ]);
  const pods = podList.items.filter((pod) => memberOfObject(pod) !== undefined);
  const volumes = volumeList.items.filter((volume) => memberOfObject(volume) !== undefined && volume.metadata?.deletionTimestamp === undefined);

  const answers = await askMembers(pods, (member, host) => new MemberApi({
    host,
    port: PORTS.http,
    grpcPort: PORTS.grpc,
    ...(desired.trust === undefined ? {} : { tls: { caPem: desired.trust.caBundlePem, servername: peerHostOf(cluster, member) } }),
    ...(desired.rootPassword === undefined ? {} : { rootPassword: desired.rootPassword }),
  }));
  // The leader knows the membership best; without one, any member's view still tells whose pods to bring back.
  const membershipSource = [...answers.values()].sort((a, b) => rankOf(b.status) - rankOf(a.status))[0];
  const membership = await membershipSource?.api.membership().catch(() => undefined);
  const podObservations = pods.map(podObservationOf);
  const base = {
    replicas: cluster.spec.replicas,
    version: desired.version,
    specDigest: specDigestOf(cluster, desired.image),
    bootstrapped: cluster.status?.clusterId !== undefined,
    pods: podObservations,
    volumes: volumes.map((volume) => ({ member: memberOfObject(volume) ?? '', version: volume.metadata?.annotations?.[ANNOTATIONS.version] })),
    firstMember: firstMemberName(cluster),
    nowMs,
    restorePending: awaitsRestore(cluster),
    ...(desired.certificatePending === undefined ? {} : { certificatePending: desired.certificatePending }),
  };
  const statuses = new Map([...answers].map(([name, answer]) => [name, answer.status]));
  const apis = new Map([...answers].map(([name, answer]) => [name, answer.api]));
  if (membership === undefined || membershipSource === undefined) return { observation: base, statuses, apis, claims: volumes };

  const leaderId = membershipSource.status.leaderId;
  const leader = leaderId === 0 ? undefined : membership.members.find((member) => member.id === leaderId)?.name;
  const members = membership.members.map((member): MemberObservation => {
    const pod = podObservations.find((candidate) => candidate.name === member.name);
    const answer = answers.get(member.name);
    const volume = volumes.find((candidate) => memberOfObject(candidate) === member.name);
    const sameCluster = answer !== undefined && answer.status.clusterId === membership.clusterId;
    return {
      name: member.name,
      id: BigInt(member.id),
      isLearner: member.isLearner,
      ...(sameCluster ? { status: { ready: answer.ready, appliedIndex: answer.status.appliedIndex, version: pod?.version ?? answer.status.version } } : {}),
      ...(pod === undefined ? {} : { pod }),
      hasVolume: volume !== undefined,
      ...(volume?.metadata?.annotations?.[ANNOTATIONS.version] === undefined ? {} : { volumeVersion: volume.metadata.annotations[ANNOTATIONS.version] }),
    };
  });
  const leaderApi = leader === undefined ? undefined : apis.get(leader);
  // Unknown (the leader did not say) counts as on: the step that turns it on waits for an answer.
  const authPending = desired.rootPassword !== undefined && leaderApi !== undefined && !(await leaderApi.authenticationEnabled().catch(() => true));
  return {
    observation: { ...base, members, authPending, ...(leader === undefined ? {} : { leader }) },
    clusterId: membership.clusterId,
    statuses,
    apis,
    claims: volumes,
    ...(leaderApi === undefined ? {} : { leaderApi }),
  };
}

function rankOf(status: MemberSelfStatus): number {
  return (status.role === 'leader' ? 2 : 0) + (status.leaderId !== 0 ? 1 : 0);
}

interface MemberAnswer {
  readonly api: MemberApi;
  readonly status: MemberSelfStatus;
  readonly ready: boolean;
}

/** Asks every running member pod for its status and readiness, at once; those that do not answer are left out. */
async function askMembers(pods: readonly V1Pod[], apiOf: (member: string, host: string) => MemberApi): Promise<Map<string, MemberAnswer>> {
  const answers = new Map<string, MemberAnswer>();
  await Promise.all(pods.map(async (pod) => {
    const address = pod.status?.podIP;
    const name = memberOfObject(pod);
    if (address === undefined || name === undefined || pod.metadata?.deletionTimestamp !== undefined) return;
    const api = apiOf(name, address);
    try {
      const [status, ready] = await Promise.all([api.status(), api.ready()]);
      if (status.name === name) answers.set(name, { api, status, ready });
    } catch {
      // Starting, waiting to be invited, or gone: unreachable for this pass.
    }
  }));
  return answers;
}

function podObservationOf(pod: V1Pod): PodObservation {
  const waiting = pod.status?.containerStatuses?.find((container) => container.state?.waiting?.reason !== undefined)?.state?.waiting;
  return {
    ...(waiting?.reason === undefined ? {} : { waiting: { reason: waiting.reason, message: waiting.message ?? '' } }),
    name: memberOfObject(pod) ?? '',
    version: pod.metadata?.annotations?.[ANNOTATIONS.version] ?? '',
    specDigest: pod.metadata?.annotations?.[ANNOTATIONS.specDigest] ?? '',
    ready: pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false,
    deleting: pod.metadata?.deletionTimestamp !== undefined,
    createdAtMs: pod.metadata?.creationTimestamp === undefined ? 0 : new Date(pod.metadata.creationTimestamp).getTime(),
  };
}

/** The member an object belongs to: its member label, which names the member and the object alike. */
export function memberOfObject(object: V1Pod | V1PersistentVolumeClaim): string | undefined {
  const member = object.metadata?.labels?.[LABELS.member];
  return member !== undefined && member === object.metadata?.name ? member : undefined;
}
