// One pass over one KVCluster: keep its Services, ConfigMap, PodDisruptionBudget and
// certificates as the spec says, observe the cluster, take the one step the decision rule picks, and write the status.
// A pass is level-triggered: it starts from what it observes, never from what an earlier pass
// did, so an operator that died mid-pass, or a second one that took over, simply goes on.

import type { CoreV1Api, CustomObjectsApi, KubernetesObjectApi } from '@kubernetes/client-node';
import type { Logger } from '../../src/observability/logger.js';
import { carryOut, mergePatch } from './carry-out.js';
import { checkCertificates, type CertificateLifetimes } from './cluster-certificates.js';
import { applyClusterObjects } from './cluster-objects.js';
import { describe, reasonOf, statusOf } from './cluster-status.js';
import type { EventRecorder } from './events.js';
import { GROUP, PLURAL, VERSION, type KVCluster, type KVClusterStatus } from './kvcluster.js';
import type { MemberImage } from './member-pod.js';
import { nextStep, type PlannerLimits, type Step } from './next-step.js';
import { observeCluster } from './observe.js';
import type { OperatorMetrics } from './operator-metrics.js';

export interface ReconcilerParts {
  readonly core: CoreV1Api;
  readonly objects: KubernetesObjectApi;
  readonly customObjects: CustomObjectsApi;
  readonly events: EventRecorder;
  readonly metrics: OperatorMetrics;
  readonly logger: Logger;
  readonly image: MemberImage;
  /** The version a cluster without spec.version runs: the operator's own. */
  readonly defaultVersion: string;
  readonly limits: PlannerLimits;
  readonly certificates: CertificateLifetimes;
}

/** When to look at the cluster again, by what the pass found. */
const NEXT_PASS_MS = { afterStep: 300, waiting: 2_000, halted: 5_000, failed: 3_000, idle: 15_000 } as const;

export class Reconciler {
  constructor(private readonly parts: ReconcilerParts) {}

  /** Reconciles once; resolves with the delay before the next pass. */
  async reconcile(cluster: KVCluster): Promise<number> {
    if (cluster.metadata.deletionTimestamp !== undefined) return NEXT_PASS_MS.idle;
    const { metrics, logger } = this.parts;
    const log = logger.child({ namespace: cluster.metadata.namespace, cluster: cluster.metadata.name });
    const stopTimer = metrics.reconcileDuration.startTimer();
    try {
      return await this.pass(cluster, log);
    } catch (error) {
      metrics.reconcileErrors.inc({ namespace: cluster.metadata.namespace, cluster: cluster.metadata.name });
      log.warn({ err: error }, 'the pass failed; trying again');
      await this.parts.events.record(cluster, 'Warning', 'ReconcileFailed', (error as Error).message).catch(() => undefined);
      return NEXT_PASS_MS.failed;
    } finally {
      stopTimer();
    }
  }

  /** Drops what the operator keeps of a deleted cluster: its last Event and its phase series. */
  forget(cluster: KVCluster): void {
    this.parts.events.forget(cluster);
    this.parts.metrics.forgetCluster(cluster.metadata.namespace, cluster.metadata.name);
  }

  private async pass(cluster: KVCluster, log: Logger): Promise<number> {
    const { core, objects, events, metrics } = this.parts;
    await applyClusterObjects(objects, cluster);
    const version = cluster.spec.version ?? this.parts.defaultVersion;
    const { trust, nextCheckAtMs } = await checkCertificates(core, cluster, this.parts.certificates, Date.now());
    const observed = await observeCluster(core, cluster, { version, image: this.parts.image, ...(trust === undefined ? {} : { trust }) }, Date.now());
    const step = nextStep(observed.observation, this.parts.limits);
    // Waiting and idle passes repeat every few seconds: only steps that act are worth a line at info.
    log[step.kind === 'wait' || step.kind === 'idle' || step.kind === 'halt' ? 'debug' : 'info']({ step: step.kind, detail: describe(step) }, 'step');
    const outcome = await carryOut(step, { core, cluster, image: this.parts.image, version, ...(observed.leaderApi === undefined ? {} : { leaderApi: observed.leaderApi }) });
    if (outcome.taken) {
      metrics.steps.inc({ namespace: cluster.metadata.namespace, cluster: cluster.metadata.name, step: step.kind });
      log.info({ step: step.kind }, outcome.message);
      await events.record(cluster, 'Normal', reasonOf(step), outcome.message);
    } else if (step.kind === 'halt') {
      if (await events.record(cluster, 'Warning', step.condition, step.reason)) log.warn({ condition: step.condition }, step.reason);
    } else if (cluster.spec.replicas < 3 && step.kind === 'idle') {
      await events.record(cluster, 'Warning', 'NoFaultTolerance', `${cluster.spec.replicas} member${cluster.spec.replicas === 1 ? '' : 's'} tolerate no member failure; 3 or more are recommended`);
    }
    const status = statusOf(cluster, observed, step, new Date().toISOString());
    metrics.setPhase(cluster.metadata.namespace, cluster.metadata.name, status.phase);
    await writeStatus(this.parts.customObjects, cluster, status);
    // A certificate due before the pass the step asks for brings that pass forward.
    return Math.min(nextPassAfter(step, outcome.taken), Math.max(0, (nextCheckAtMs ?? Infinity) - Date.now()));
  }
}

function nextPassAfter(step: Step, taken: boolean): number {
  if (taken) return NEXT_PASS_MS.afterStep;
  if (step.kind === 'halt') return NEXT_PASS_MS.halted;
  if (step.kind === 'idle') return NEXT_PASS_MS.idle;
  return NEXT_PASS_MS.waiting;
}

/** A merge patch of the status subresource; a field the pass did not find (no leader, mixed versions) is cleared. */
async function writeStatus(customObjects: CustomObjectsApi, cluster: KVCluster, status: KVClusterStatus): Promise<void> {
  const body = { status: { leader: null, version: null, ...status } };
  await customObjects.patchNamespacedCustomObjectStatus(
    { group: GROUP, version: VERSION, namespace: cluster.metadata.namespace, plural: PLURAL, name: cluster.metadata.name, body },
    mergePatch(),
  );
}
