// One pass over one KVCluster: keep its Services, ConfigMap, PodDisruptionBudget and
// certificates as the spec says, observe the cluster, take the one step the decision rule picks,
// start a backup if one is due (it runs beside the passes), and write the status. A pass is
// level-triggered: it starts from what it observes, never from what an earlier pass did, so an
// operator that died mid-pass, or a second one that took over, simply goes on.

import { ApiException, type CoreV1Api, type CustomObjectsApi, type KubernetesObjectApi } from '@kubernetes/client-node';
import type { Logger } from '../../src/observability/logger.js';
import { Backups } from './backups.js';
import { carryOut } from './carry-out.js';
import { checkCertificates, type CertificateLifetimes } from './cluster-certificates.js';
import { applyClusterObjects } from './cluster-objects.js';
import { describe, reasonOf, statusOf } from './cluster-status.js';
import type { EventRecorder } from './events.js';
import { awaitsRestore, GROUP, PLURAL, VERSION, type KVCluster } from './kvcluster.js';
import { patchStatus } from './merge-patch.js';
import type { MemberImage } from './member-pod.js';
import { nextStep, type PlannerLimits, type Step } from './next-step.js';
import { observeCluster } from './observe.js';
import type { OperatorMetrics } from './operator-metrics.js';
import { RestoreRefusals } from './restore.js';
import { rootPasswordOf } from './root-password.js';
import { growVolumes } from './volume-size.js';

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
  private readonly backups: Backups;
  private readonly restoreRefusals = new RestoreRefusals();
  private readonly stopping = new AbortController();

  constructor(private readonly parts: ReconcilerParts) {
    this.backups = new Backups(parts);
  }

  /** `listener` is called when a cluster needs a pass that no watched object announces (a backup ended). */
  onPassNeeded(listener: (cluster: KVCluster) => void): void {
    this.backups.onFinished(listener);
  }

  /** Stops the backups and a restore under way; passes are the controller's to wait for. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.backups.stop();
  }

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

  /** Drops what the operator keeps of a deleted cluster: its last Event, its metric series, its backup under way. */
  forget(cluster: KVCluster): void {
    this.backups.forget(cluster);
    this.restoreRefusals.forget(cluster);
    this.parts.events.forget(cluster);
    this.parts.metrics.forgetCluster(cluster.metadata.namespace, cluster.metadata.name);
  }

  private async pass(cached: KVCluster, log: Logger): Promise<number> {
    const { core, objects, customObjects, events, metrics } = this.parts;
    // The watch may not have delivered the restore's record yet: a restore is decided on a fresh read.
    const cluster = awaitsRestore(cached) ? await readCluster(customObjects, cached) : cached;
    if (cluster === undefined) return NEXT_PASS_MS.idle;
    await applyClusterObjects(objects, cluster);
    const version = cluster.spec.version ?? this.parts.defaultVersion;
    const { trust, nextCheckAtMs, pending } = await checkCertificates(core, objects, cluster, this.parts.certificates, Date.now());
    const rootPassword = rootPasswordOf(core, cluster);
    const observed = await observeCluster(core, cluster, {
      version,
      image: this.parts.image,
      ...(trust === undefined ? {} : { trust }),
      ...(rootPassword === undefined ? {} : { rootPassword }),
      ...(pending === undefined ? {} : { certificatePending: pending }),
    }, Date.now());
    this.backups.consider(cluster, observed, Date.now());
    for (const growth of await growVolumes(core, cluster, observed.claims)) {
      log[growth.refused ? 'warn' : 'info']({ member: growth.member }, growth.message);
      await events.record(cluster, growth.refused ? 'Warning' : 'Normal', growth.refused ? 'VolumeExpansionRefused' : 'ExpandVolume', growth.message);
    }
    const decided = nextStep(observed.observation, this.parts.limits);
    // Waiting and idle passes repeat every few seconds: only steps that act are worth a line at info.
    log[decided.kind === 'wait' || decided.kind === 'idle' || decided.kind === 'halt' ? 'debug' : 'info']({ step: decided.kind, detail: describe(decided) }, 'step');
    const outcome = await carryOut(decided, {
      core,
      customObjects,
      cluster,
      image: this.parts.image,
      version,
      restoreRefusals: this.restoreRefusals,
      stopping: this.stopping.signal,
      ...(observed.leaderApi === undefined ? {} : { leaderApi: observed.leaderApi }),
    });
    // A step that found it cannot go on until a person acts is reported as the halt it is.
    const step: Step = outcome.refusal === undefined ? decided : { kind: 'halt', ...outcome.refusal };
    if (outcome.taken) {
      metrics.steps.inc({ namespace: cluster.metadata.namespace, cluster: cluster.metadata.name, step: step.kind });
      log.info({ step: step.kind }, outcome.message);
      await events.record(cluster, 'Normal', reasonOf(step), outcome.message);
    } else if (step.kind === 'halt') {
      if (await events.record(cluster, 'Warning', step.condition, step.reason)) log.warn({ condition: step.condition }, step.reason);
    } else if (cluster.spec.replicas < 3 && step.kind === 'idle') {
      await events.record(cluster, 'Warning', 'NoFaultTolerance', `${cluster.spec.replicas} member${cluster.spec.replicas === 1 ? '' : 's'} tolerate no member failure; 3 or more are recommended`);
    }
    const status = statusOf(cluster, observed, step, new Date().toISOString(), this.backups.conditionOf(cluster));
    metrics.setPhase(cluster.metadata.namespace, cluster.metadata.name, status.phase);
    // A field the pass did not find (no leader, mixed versions) is cleared.
    await patchStatus(customObjects, cluster, { leader: null, version: null, ...status });
    // A certificate due before the pass the step asks for brings that pass forward.
    // An invitation is sent again and again for minutes by the member that got it: the next is not due soon.
    const afterStep = step.kind === 'invite' ? this.parts.limits.reinviteAfterMs : nextPassAfter(step, outcome.taken);
    return Math.min(afterStep, Math.max(0, (nextCheckAtMs ?? Infinity) - Date.now()));
  }
}

function nextPassAfter(step: Step, taken: boolean): number {
  if (taken) return NEXT_PASS_MS.afterStep;
  if (step.kind === 'halt') return NEXT_PASS_MS.halted;
  if (step.kind === 'idle') return NEXT_PASS_MS.idle;
  return NEXT_PASS_MS.waiting;
}

/** The cluster as the API server has it now; undefined once it is gone. */
async function readCluster(customObjects: CustomObjectsApi, cluster: KVCluster): Promise<KVCluster | undefined> {
  try {
    return await customObjects.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: cluster.metadata.namespace, plural: PLURAL, name: cluster.metadata.name }) as KVCluster;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return undefined;
    throw error;
  }
}
