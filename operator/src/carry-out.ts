// Carries out the step the decision rule chose: one call to Kubernetes or to the cluster (two
// for a member's volume and pod, each of which may already exist). Each is safe to repeat: a
// volume or pod that exists is left as it is, a member added or removed already is added or
// removed again as a no-op, and a pod or volume already gone is not an error. The restore
// (restore.ts) is safe to repeat until it is recorded, for the reasons given there.

import { ApiException, type CoreV1Api, type CustomObjectsApi } from '@kubernetes/client-node';
import { ANNOTATIONS, peerAddressOf, type KVCluster } from './kvcluster.js';
import { MemberCallError, type MemberApi } from './member-api.js';
import { newMemberName } from './member-names.js';
import { memberPod, memberVolume, type MemberImage } from './member-pod.js';
import type { HaltCondition, Step } from './next-step.js';
import { restoreFromBackup, type RestoreRefusals } from './restore.js';
import { RootPasswordError } from './root-password.js';
import { mergePatch } from './merge-patch.js';

export interface StepContext {
  readonly core: CoreV1Api;
  readonly customObjects: CustomObjectsApi;
  readonly cluster: KVCluster;
  readonly image: MemberImage;
  /** The version the cluster is asked to run: spec.version, else the operator's own. */
  readonly version: string;
  /** The leader's API; membership calls go there (a follower would forward them). */
  readonly leaderApi?: MemberApi;
  readonly restoreRefusals: RestoreRefusals;
  /** Aborted when the operator stops; only the restore, which may stream for minutes, listens. */
  readonly stopping: AbortSignal;
}

export interface StepOutcome {
  /** False when the step could not be taken yet and the pass only waits (e.g. a learner not caught up). */
  readonly taken: boolean;
  /** What was done, for the Event and the log. */
  readonly message: string;
  /** The step found it cannot be taken until a person acts (a backup that fails its checksum): reported as a halt. */
  readonly refusal?: { readonly condition: HaltCondition; readonly reason: string };
}

export async function carryOut(step: Step, context: StepContext): Promise<StepOutcome> {
  try {
    return await take(step, context);
  } catch (error) {
    if (!(error instanceof RootPasswordError)) throw error;
    return { taken: false, message: error.message, refusal: { condition: 'RootPasswordRefused', reason: error.message } };
  }
}

async function take(step: Step, context: StepContext): Promise<StepOutcome> {
  const { core, cluster } = context;
  const namespace = cluster.metadata.namespace;
  switch (step.kind) {
    case 'bootstrap':
      await ensureVolume(context, step.member, context.version);
      await createIfMissing(() => core.createNamespacedPod({ namespace, body: memberPod(cluster, { member: step.member, version: context.version, formsCluster: true, image: context.image }) }));
      return { taken: true, message: `formed the cluster with its first member ${step.member}` };
    case 'create-pod':
      await ensureVolume(context, step.member, step.version);
      await createIfMissing(() => core.createNamespacedPod({ namespace, body: memberPod(cluster, { member: step.member, version: step.version, formsCluster: false, image: context.image }) }));
      return { taken: true, message: `created the pod of member ${step.member} at version ${step.version}: ${step.reason}` };
    case 'add-learner': {
      const member = newMemberName(cluster);
      await leaderOf(context).join(member, peerAddressOf(cluster, member));
      return { taken: true, message: `added member ${member} as a learner` };
    }
    case 'invite':
      await leaderOf(context).join(step.member, peerAddressOf(cluster, step.member));
      return { taken: true, message: `invited learner ${step.member} into the cluster again` };
    case 'promote':
      try {
        await leaderOf(context).promote(step.member);
      } catch (error) {
        if (error instanceof MemberCallError && error.code === 'NODE_NOT_CAUGHT_UP') return { taken: false, message: `learner ${step.member} is not caught up yet` };
        throw error;
      }
      return { taken: true, message: `promoted learner ${step.member} to a voter` };
    case 'remove-member':
      await leaderOf(context).remove(step.member);
      return { taken: true, message: `removed member ${step.member} from the cluster: ${step.reason}` };
    case 'move-leader':
      await leaderOf(context).transferLeadership();
      return { taken: true, message: `moved leadership off ${step.from}` };
    case 'restart-member':
      // The version goes on the volume first: the pod is made again (at that version, from the current spec) from it.
      await core.patchNamespacedPersistentVolumeClaim({ namespace, name: step.member, body: { metadata: { annotations: { [ANNOTATIONS.version]: step.version } } } }, mergePatch());
      await deleteIfPresent(() => core.deleteNamespacedPod({ namespace, name: step.member }));
      return { taken: true, message: `restarting member ${step.member} ${step.reason}` };
    case 'delete-pod':
      await deleteIfPresent(() => core.deleteNamespacedPod({ namespace, name: step.pod }));
      return { taken: true, message: `deleted pod ${step.pod}: ${step.reason}` };
    case 'delete-volume':
      await deleteIfPresent(() => core.deleteNamespacedPersistentVolumeClaim({ namespace, name: step.member }));
      return { taken: true, message: `deleted the volume of removed member ${step.member}` };
    case 'restore': {
      // The only member leads its one-member cluster.
      const result = await restoreFromBackup({ core, customObjects: context.customObjects, cluster, member: leaderOf(context), refusals: context.restoreRefusals, stopping: context.stopping });
      if (result.restored) return { taken: true, message: result.message };
      return { taken: false, message: result.reason, refusal: { condition: result.condition, reason: result.reason } };
    }
    case 'enable-auth':
      await leaderOf(context).enableAuthentication();
      return { taken: true, message: `turned authentication on with the root user and the password of Secret ${context.cluster.spec.auth?.rootPasswordSecret.name ?? ''}` };
    case 'wait':
    case 'halt':
      return { taken: false, message: step.reason };
    case 'idle':
      return { taken: false, message: 'the cluster is as asked' };
  }
}

function leaderOf(context: StepContext): MemberApi {
  if (context.leaderApi === undefined) throw new Error('the leader did not answer; the step waits for the next pass');
  return context.leaderApi;
}

async function ensureVolume(context: StepContext, member: string, version: string): Promise<void> {
  const { core, cluster } = context;
  await createIfMissing(() => core.createNamespacedPersistentVolumeClaim({ namespace: cluster.metadata.namespace, body: memberVolume(cluster, member, version) }));
}

async function createIfMissing(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (statusCodeOf(error) !== 409) throw error;
  }
}

async function deleteIfPresent(remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (statusCodeOf(error) !== 404) throw error;
  }
}

function statusCodeOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}
