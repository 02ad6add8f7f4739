// The status a pass writes: what the cluster is (members, leader, version, readiness) as the
// pass observed it, and what the operator is doing about it, as a phase and the conditions
// Available, Progressing and Degraded, each stamped with the generation it was decided for, and
// BackupFailing as the backups report it (backups.ts).

import { podSelectorLabels, selectorText, type KVCluster, type KVClusterCondition, type KVClusterMemberStatus, type KVClusterStatus, type Phase } from './kvcluster.js';
import type { ObservedCluster } from './observe.js';
import type { Step } from './next-step.js';

export function statusOf(cluster: KVCluster, observed: ObservedCluster, step: Step, nowIso: string, backupFailing?: KVClusterCondition): KVClusterStatus {
  const { observation } = observed;
  const members = observation.members ?? [];
  const voters = members.filter((member) => !member.isLearner);
  const readyMembers = members.filter((member) => member.status?.ready === true).length;
  const memberStatuses = members.map((member): KVClusterMemberStatus => ({
    name: member.name,
    id: member.id.toString(16),
    role: member.isLearner ? 'learner' : member.name === observation.leader ? 'leader' : 'follower',
    ready: member.status?.ready === true,
    ...(member.pod === undefined ? {} : { version: member.pod.version }),
    ...(member.status === undefined ? {} : { appliedIndex: member.status.appliedIndex }),
  }));
  const versions = new Set(memberStatuses.map((member) => member.version));
  const phase = phaseOf(cluster, observed, step);
  const generation = cluster.metadata.generation ?? 0;
  const available = observation.leader !== undefined && readyMembers >= Math.floor(voters.length / 2) + 1;
  const conditions = [
    condition('Available', available, available ? 'QuorumReady' : 'NoQuorum', available ? `${readyMembers} of ${members.length} members are ready` : 'no quorum of ready voters with a leader'),
    condition('Progressing', isProgress(step), isProgress(step) ? reasonOf(step) : 'Settled', describe(step)),
    condition('Degraded', step.kind === 'halt', step.kind === 'halt' ? step.condition : 'AsExpected', step.kind === 'halt' ? step.reason : 'no fault the operator waits on'),
    ...(backupFailing === undefined ? [] : [backupFailing]),
  ].map((entry) => withTransitionTime({ ...entry, observedGeneration: generation }, cluster.status?.conditions, nowIso));
  return {
    observedGeneration: generation,
    phase,
    replicas: voters.length,
    readyMembers,
    selector: selectorText(podSelectorLabels(cluster)),
    ...(observation.leader === undefined ? {} : { leader: observation.leader }),
    ...(versions.size === 1 && memberStatuses[0]?.version !== undefined ? { version: memberStatuses[0].version } : {}),
    ...(observed.clusterId === undefined ? (cluster.status?.clusterId === undefined ? {} : { clusterId: cluster.status.clusterId }) : { clusterId: observed.clusterId }),
    members: memberStatuses,
    conditions,
  };
}

function phaseOf(cluster: KVCluster, observed: ObservedCluster, step: Step): Phase {
  if (step.kind === 'halt') return step.condition === 'QuorumLost' ? 'QuorumLost' : 'Degraded';
  if (cluster.status?.clusterId === undefined && observed.clusterId === undefined) return 'Creating';
  if (observed.observation.restorePending === true) return 'Restoring';
  if (step.kind === 'restart-member' || step.kind === 'move-leader') return 'Upgrading';
  if (step.kind === 'idle') return 'Running';
  const voters = (observed.observation.members ?? []).filter((member) => !member.isLearner).length;
  if (voters !== cluster.spec.replicas || ['add-learner', 'invite', 'promote', 'remove-member'].includes(step.kind)) return 'Scaling';
  const outdated = observed.observation.pods.some((pod) => pod.version !== observed.observation.version || pod.specDigest !== observed.observation.specDigest);
  return outdated ? 'Upgrading' : 'Running';
}

function isProgress(step: Step): boolean {
  return step.kind !== 'idle' && step.kind !== 'halt';
}

/** A step's kind as a condition or Event reason: add-learner → AddLearner. */
export function reasonOf(step: Step): string {
  return step.kind.split('-').map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
}

export function describe(step: Step): string {
  switch (step.kind) {
    case 'idle':
      return 'the cluster is as asked';
    case 'wait':
    case 'halt':
      return step.reason;
    case 'bootstrap':
      return `forming the cluster with member ${step.member}`;
    case 'create-pod':
      return `creating the pod of member ${step.member}: ${step.reason}`;
    case 'restart-member':
      return `restarting member ${step.member} ${step.reason}`;
    case 'add-learner':
      return 'adding a member as a learner';
    case 'invite':
      return `inviting learner ${step.member} again`;
    case 'promote':
      return `promoting learner ${step.member}`;
    case 'remove-member':
      return `removing member ${step.member}: ${step.reason}`;
    case 'move-leader':
      return `moving leadership off ${step.from}`;
    case 'delete-pod':
      return `deleting pod ${step.pod}: ${step.reason}`;
    case 'delete-volume':
      return `deleting the volume of removed member ${step.member}`;
    case 'restore':
      return `restoring the backup on the first member ${step.member}`;
    case 'enable-auth':
      return 'turning authentication on with the root user';
  }
}

export function condition(type: KVClusterCondition['type'], holds: boolean, reason: string, message: string): KVClusterCondition {
  return { type, status: holds ? 'True' : 'False', reason, message };
}

/** Keeps a condition's transition time while its status stays the same. */
function withTransitionTime(next: KVClusterCondition, previous: readonly KVClusterCondition[] | undefined, nowIso: string): KVClusterCondition {
  const before = previous?.find((entry) => entry.type === next.type);
  const since = before !== undefined && before.status === next.status ? before.lastTransitionTime ?? nowIso : nowIso;
  return { ...next, lastTransitionTime: since };
}
