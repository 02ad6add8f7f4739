// The operator's decision: from what it observes of one KVCluster — the members Raft reports,
// what each member says of itself, and the pods and volumes in Kubernetes — the one step to take
// next. It is a pure function of that observation and keeps no memory between passes, so a step
// is safe to repeat and an operator that dies between any two calls picks up where it was: the
// next pass observes the effect of whatever completed and decides again.
//
// The rules, in order of precedence:
// - A member whose pod is missing but whose volume is there gets its pod back: that never
//   changes membership, so it is done even without quorum (it is how quorum comes back).
// - Without quorum, nothing else: no member is added, removed or replaced automatically.
// - A pod or volume of no member (a removed member's) is deleted: a removed member never
//   rejoins under its old id.
// - A voter whose volume is lost (no pod, no volume) is removed, to be replaced by a new learner.
// - A cluster made from a backup restores it on its first member, once that member is ready and
//   before any other member is added; a cluster that grew without a recorded restore is never
//   restored into.
// - A cluster whose spec asks for authentication has it turned on once it has quorum and any
//   restore is done (a restored backup may bring its own users), before it grows.
// - One membership change at a time: a learner is promoted once it is ready (caught up) before
//   anything else changes (invited again if it waits unanswered); a member is added or removed
//   only when every member is ready.
// - Scale down removes one member per step: a learner first, then the least healthy or least
//   caught-up follower; never the leader, so leadership never has to move for it.
// - Upgrade or changed spec: one member at a time, followers first, the leader last after a
//   leadership transfer; a member restarted is ready before the next. A member not ready by the deadline after its pod
//   was made halts everything but scaling down, and is reported.

export interface MemberStatus {
  readonly ready: boolean;
  readonly appliedIndex: number;
  readonly version: string;
}

export interface PodObservation {
  readonly name: string;
  /** The Beaver-Vault version of its image. */
  readonly version: string;
  /** A digest of the spec it was made from (settings, resources, scheduling); a changed spec rolls the pods. */
  readonly specDigest: string;
  readonly ready: boolean;
  readonly deleting: boolean;
  readonly createdAtMs: number;
  /** Why its container waits to start (e.g. ImagePullBackOff), with the message; undefined when it runs. */
  readonly waiting?: { readonly reason: string; readonly message: string };
}

export interface MemberObservation {
  readonly name: string;
  readonly id: bigint;
  readonly isLearner: boolean;
  /** What the member said of itself; undefined when it could not be reached. */
  readonly status?: MemberStatus;
  readonly pod?: PodObservation;
  readonly hasVolume: boolean;
  /** The version recorded on its volume: the one its pod is (re)created with. */
  readonly volumeVersion?: string;
}

export interface ClusterObservation {
  /** The desired number of voters. */
  readonly replicas: number;
  readonly version: string;
  /** The digest of the spec the member pods should be made from now. */
  readonly specDigest: string;
  /** Whether a cluster was ever formed (its cluster id is recorded in the status). */
  readonly bootstrapped: boolean;
  /** Raft's membership, from a member that has a leader; undefined when none could say. */
  readonly members?: readonly MemberObservation[];
  readonly leader?: string;
  /** Pods and volumes (by member name) of the cluster, whichever members they belong to. */
  readonly pods: readonly PodObservation[];
  readonly volumes: readonly VolumeObservation[];
  /** The name of the member that forms the cluster; the same on every pass. */
  readonly firstMember: string;
  readonly nowMs: number;
  /** The cluster is to start from a backup that it has not restored yet (spec.restoreFrom, no status.restoredFrom). */
  readonly restorePending?: boolean;
  /** The spec asks for authentication and the leader says it is off. */
  readonly authPending?: boolean;
  /** Why the members' certificates are not there yet: nothing is started or changed until they are. */
  readonly certificatePending?: string;
}

export interface VolumeObservation {
  readonly member: string;
  /** The version recorded on the volume, the one its member's pod is (re)created with. */
  readonly version?: string;
}

export type Step =
  | { readonly kind: 'bootstrap'; readonly member: string }
  | { readonly kind: 'create-pod'; readonly member: string; readonly version: string; readonly reason: string }
  | { readonly kind: 'restart-member'; readonly member: string; readonly version: string; readonly reason: string }
  | { readonly kind: 'add-learner' }
  | { readonly kind: 'invite'; readonly member: string }
  | { readonly kind: 'promote'; readonly member: string; readonly id: bigint }
  | { readonly kind: 'remove-member'; readonly member: string; readonly id: bigint; readonly reason: string }
  | { readonly kind: 'move-leader'; readonly from: string }
  | { readonly kind: 'delete-pod'; readonly pod: string; readonly reason: string }
  | { readonly kind: 'delete-volume'; readonly member: string }
  | { readonly kind: 'wait'; readonly reason: string }
  | { readonly kind: 'restore'; readonly member: string }
  | { readonly kind: 'enable-auth' }
  | { readonly kind: 'halt'; readonly condition: HaltCondition; readonly reason: string }
  | { readonly kind: 'idle' };

/**
 * Why the operator stopped; the Degraded condition's reason. The restore's come from carrying the
 * restore out (the backup's checksum, its bucket), except RestoreImpossible; RootPasswordRefused
 * from a step that needs root when spec.auth's Secret is missing or its password refused.
 */
export type HaltCondition = 'QuorumLost' | 'MemberNotReady' | 'UnsupportedUpgrade' | 'RestoreImpossible' | 'RestoreFailed' | 'RestoreChecksumMismatch' | 'RootPasswordRefused';

export interface PlannerLimits {
  /** How long a member's pod may take to become ready before the operator stops and reports it. */
  readonly readyDeadlineMs: number;
  /** How long a learner's pod may wait unanswered before the operator invites it again. */
  readonly reinviteAfterMs: number;
}

export function nextStep(observed: ClusterObservation, limits: PlannerLimits): Step {
  if (observed.certificatePending !== undefined) return { kind: 'wait', reason: observed.certificatePending };
  const { members } = observed;
  if (members === undefined) return withoutMembership(observed, limits);

  const restorable = members.find((member) => member.pod === undefined && member.hasVolume);
  if (restorable !== undefined) {
    return { kind: 'create-pod', member: restorable.name, version: restorable.volumeVersion ?? observed.version, reason: 'its pod is missing; its volume is kept' };
  }

  const voters = members.filter((member) => !member.isLearner);
  const readyVoters = voters.filter((member) => member.status?.ready === true);
  if (readyVoters.length < quorumOf(voters.length) || observed.leader === undefined) {
    return { kind: 'halt', condition: 'QuorumLost', reason: `${readyVoters.length} of ${voters.length} voters are ready, ${quorumOf(voters.length)} are needed; no member is replaced without quorum` };
  }

  const names = new Set(members.map((member) => member.name));
  const strayPod = observed.pods.find((pod) => !names.has(pod.name));
  if (strayPod !== undefined) return strayPod.deleting ? { kind: 'wait', reason: `pod ${strayPod.name} of a removed member is stopping` } : { kind: 'delete-pod', pod: strayPod.name, reason: 'its member was removed from the cluster' };
  const strayVolume = observed.volumes.find((volume) => !names.has(volume.member));
  if (strayVolume !== undefined) return { kind: 'delete-volume', member: strayVolume.member };

  const lost = voters.find((member) => member.pod === undefined && !member.hasVolume);
  if (lost !== undefined) return { kind: 'remove-member', member: lost.name, id: lost.id, reason: 'its volume is lost; a new member replaces it' };
  if (observed.restorePending === true) return restoreStep(members, observed, limits);
  if (observed.authPending === true) return { kind: 'enable-auth' };

  // A learner has no data worth keeping: one without a pod is a new member whose pod was not made yet.
  const podless = members.find((member) => member.pod === undefined);
  if (podless !== undefined) return { kind: 'create-pod', member: podless.name, version: observed.version, reason: 'a new learner' };

  const learner = members.find((member) => member.isLearner);
  if (learner !== undefined && voters.length >= observed.replicas) {
    return { kind: 'remove-member', member: learner.name, id: learner.id, reason: 'the cluster needs no more members' };
  }
  if (learner !== undefined) return learnerStep(learner, observed, limits);

  const unready = members.filter((member) => member.status?.ready !== true || member.pod?.ready !== true);
  if (voters.length > observed.replicas) return scaleDown(voters, observed.leader);
  if (unready.length > 0) return waitForReady(unready, observed, limits);
  if (voters.length < observed.replicas) return { kind: 'add-learner' };
  return rollingRestart(members, observed);
}

/**
 * Before a member has answered: form the cluster (again, until a member answers: the first
 * member's name never changes), else give every volume its pod back, which is how a cluster
 * whose pods all went comes back; never a new, empty cluster in place of one that was formed.
 */
function withoutMembership(observed: ClusterObservation, limits: PlannerLimits): Step {
  if (!observed.bootstrapped) {
    const [first] = observed.pods;
    if (first === undefined) return { kind: 'bootstrap', member: observed.firstMember };
    if (!first.deleting && observed.nowMs - first.createdAtMs > limits.readyDeadlineMs) {
      return { kind: 'halt', condition: 'MemberNotReady', reason: `the first member ${first.name} (version ${first.version}) has not formed the cluster ${Math.round(limits.readyDeadlineMs / 1000)} s after its pod was created` };
    }
    return { kind: 'wait', reason: 'the first member is starting' };
  }
  const podNames = new Set(observed.pods.map((pod) => pod.name));
  const podless = observed.volumes.find((volume) => !podNames.has(volume.member));
  if (podless !== undefined) {
    return { kind: 'create-pod', member: podless.member, version: podless.version ?? observed.version, reason: 'no member answers; its volume is kept' };
  }
  if (observed.pods.length > 0) return { kind: 'wait', reason: 'no member has answered with the membership yet' };
  return { kind: 'halt', condition: 'QuorumLost', reason: 'every member is gone with its volume; restore the cluster from a backup' };
}

/**
 * A learner is promoted once it is ready. One started with wait-for-join that has not answered
 * for a while may have missed its invitation (the inviting member restarted, or the window
 * closed): it is invited again, which adds nothing, as the member is there already.
 */
function learnerStep(learner: MemberObservation, observed: ClusterObservation, limits: PlannerLimits): Step {
  if (learner.status?.ready === true) return { kind: 'promote', member: learner.name, id: learner.id };
  const pod = learner.pod;
  if (learner.status === undefined && pod !== undefined && !pod.deleting && observed.nowMs - pod.createdAtMs > limits.reinviteAfterMs) {
    return { kind: 'invite', member: learner.name };
  }
  return { kind: 'wait', reason: `learner ${learner.name} is catching up` };
}

/**
 * The restore replaces the whole state of the cluster, so it is done while the first member is
 * the whole cluster and before anything else: once it is recorded, the cluster grows by the usual
 * rules and every new member copies the restored state. A cluster with more members and no
 * recorded restore (its status was lost) may hold writes: the operator does not restore into it.
 */
function restoreStep(members: readonly MemberObservation[], observed: ClusterObservation, limits: PlannerLimits): Step {
  const [only, ...others] = members;
  if (only === undefined || others.length > 0 || only.isLearner) {
    return { kind: 'halt', condition: 'RestoreImpossible', reason: `the cluster has ${members.length} members and no restore recorded in status.restoredFrom; the operator restores only into a new cluster's first member: create a new KVCluster from the backup` };
  }
  if (only.status?.ready !== true || only.pod?.ready !== true) return waitForReady([only], observed, limits);
  return { kind: 'restore', member: only.name };
}

/** The follower to remove: one that is not ready, else the least caught up; ties by name. */
function scaleDown(voters: readonly MemberObservation[], leader: string): Step {
  const followers = voters.filter((member) => member.name !== leader);
  const [chosen] = [...followers].sort((a, b) => Number(a.status?.ready === true) - Number(b.status?.ready === true)
    || (a.status?.appliedIndex ?? -1) - (b.status?.appliedIndex ?? -1)
    || a.name.localeCompare(b.name));
  if (chosen === undefined) return { kind: 'wait', reason: 'no follower to remove' };
  return { kind: 'remove-member', member: chosen.name, id: chosen.id, reason: 'the cluster is scaling down' };
}

/** Kubelet's reasons for a container whose image cannot be had: waiting longer will not help. */
const IMAGE_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

function waitForReady(unready: readonly MemberObservation[], observed: ClusterObservation, limits: PlannerLimits): Step {
  // A member that is not ready serves nothing, so making its pod again from a spec changed
  // since (a bad version or image taken back) costs no availability: it is how a stuck roll is undone.
  const stuckOutdated = unready.find((member) => member.pod !== undefined && !member.pod.deleting && isOutdated(member.pod, observed));
  if (stuckOutdated !== undefined) {
    const unsupported = unsupportedChange(oldestVersion(observed), observed.version);
    if (unsupported !== undefined) return { kind: 'halt', condition: 'UnsupportedUpgrade', reason: unsupported };
    return { kind: 'restart-member', member: stuckOutdated.name, version: observed.version, reason: 'as it is not ready and its spec changed' };
  }
  const unpullable = unready.find((member) => member.pod?.waiting !== undefined && IMAGE_FAILURES.has(member.pod.waiting.reason));
  if (unpullable?.pod?.waiting !== undefined) {
    return { kind: 'halt', condition: 'MemberNotReady', reason: `member ${unpullable.name} cannot start: ${unpullable.pod.waiting.reason}: ${unpullable.pod.waiting.message}` };
  }
  const stalled = unready.find((member) => member.pod !== undefined && !member.pod.deleting && observed.nowMs - member.pod.createdAtMs > limits.readyDeadlineMs);
  if (stalled?.pod !== undefined) {
    return { kind: 'halt', condition: 'MemberNotReady', reason: `member ${stalled.name} (version ${stalled.pod.version}) is not ready ${Math.round(limits.readyDeadlineMs / 1000)} s after its pod was created` };
  }
  return { kind: 'wait', reason: `waiting for ${unready.map((member) => member.name).join(', ')} to be ready` };
}

function isOutdated(pod: PodObservation, observed: ClusterObservation): boolean {
  return pod.version !== observed.version || pod.specDigest !== observed.specDigest;
}

/**
 * One member at a time, for a new version or a changed spec: a follower whose pod is outdated is
 * made again; the leader hands over first and goes last.
 */
function rollingRestart(members: readonly MemberObservation[], observed: ClusterObservation): Step {
  const outdated = members.filter((member) => member.pod !== undefined && isOutdated(member.pod, observed));
  if (outdated.length === 0) return { kind: 'idle' };
  const unsupported = unsupportedChange(oldestVersion(observed), observed.version);
  if (unsupported !== undefined) return { kind: 'halt', condition: 'UnsupportedUpgrade', reason: unsupported };
  const restart = (member: MemberObservation): Step => ({
    kind: 'restart-member',
    member: member.name,
    version: observed.version,
    reason: member.pod?.version === observed.version ? 'to apply the changed spec' : `to run version ${observed.version}`,
  });
  const follower = outdated.find((member) => member.name !== observed.leader);
  if (follower !== undefined) return restart(follower);
  // A single member has no one to hand over to: its restart is the cluster's downtime.
  const voters = members.filter((member) => !member.isLearner);
  if (voters.length === 1 && voters[0] !== undefined) return restart(voters[0]);
  return { kind: 'move-leader', from: observed.leader ?? '' };
}

function oldestVersion(observed: ClusterObservation): string {
  const versions = (observed.members ?? []).flatMap((member) => (member.pod === undefined ? [] : [member.pod.version]));
  return versions.sort(compareVersions)[0] ?? observed.version;
}

/** Upgrades go forward one minor version at a time within a major version (patches freely). */
export function unsupportedChange(from: string, to: string): string | undefined {
  const [fromMajor, fromMinor] = from.split('.').map(Number);
  const [toMajor, toMinor] = to.split('.').map(Number);
  if (compareVersions(to, from) < 0) return `downgrading from ${from} to ${to} is not supported`;
  if (fromMajor !== toMajor) return `upgrading across major versions (${from} to ${to}) is not supported`;
  if ((toMinor ?? 0) - (fromMinor ?? 0) > 1) return `upgrade one minor version at a time: ${from} to ${to} skips a minor version`;
  return undefined;
}

export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let index = 0; index < 3; index += 1) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function quorumOf(voters: number): number {
  return Math.floor(voters / 2) + 1;
}
