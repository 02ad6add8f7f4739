// Schedules passes: each KVCluster gets a pass when it changes, when one of its pods changes,
// and again after the delay its last pass asked for, since what the members say of themselves
// (caught up, leader) changes without any Kubernetes object changing. A cluster has at most
// one pass running; a change that arrives during one brings the next pass forward, and so does
// the end of a backup, which runs beside the passes.

import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../../src/observability/logger.js';
import { GROUP, LABELS, PLURAL, VERSION, FIELD_MANAGER, type KVCluster } from './kvcluster.js';
import type { Reconciler } from './reconciler.js';
import { resilientInformer } from './resilient-informer.js';

/** A change seen by a watch waits this long, so that a burst of pod updates makes one pass. */
const CHANGE_DEBOUNCE_MS = 200;

export interface ControllerOptions {
  /** Watch one namespace only; every namespace when undefined. */
  readonly namespace?: string;
}

export class Controller {
  private readonly clusters = new Map<string, KVCluster>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly rerun = new Set<string>();
  private stopped = false;
  private readonly informers;

  constructor(
    config: KubeConfig,
    private readonly reconciler: Reconciler,
    private readonly logger: Logger,
    options: ControllerOptions,
  ) {
    const customObjects = config.makeApiClient(CustomObjectsApi);
    const core = config.makeApiClient(CoreV1Api);
    const { namespace } = options;
    const clusterPath = namespace === undefined ? `/apis/${GROUP}/${VERSION}/${PLURAL}` : `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`;
    const listClusters = () => (namespace === undefined
      ? customObjects.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })
      : customObjects.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL })) as Promise<{ items: KVCluster[]; metadata?: object }>;
    const podSelector = `${LABELS.managedBy}=${FIELD_MANAGER}`;
    const podPath = namespace === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${namespace}/pods`;
    const listPods = () => (namespace === undefined ? core.listPodForAllNamespaces({ labelSelector: podSelector }) : core.listNamespacedPod({ namespace, labelSelector: podSelector }));
    const log = (message: string) => logger.warn(message);
    reconciler.onPassNeeded((cluster) => this.schedule(keyOf(cluster.metadata.namespace, cluster.metadata.name), CHANGE_DEBOUNCE_MS));
    this.informers = [
      resilientInformer<KVCluster>(config, clusterPath, listClusters, {
        change: (cluster) => {
          const key = keyOf(cluster.metadata.namespace, cluster.metadata.name);
          const known = this.clusters.get(key);
          this.clusters.set(key, cluster);
          // A pass's own status write changes the object but not its generation: no new pass for that.
          if (known?.metadata.generation !== cluster.metadata.generation) this.schedule(key, CHANGE_DEBOUNCE_MS);
        },
        deleted: (cluster) => {
          this.forget(keyOf(cluster.metadata.namespace, cluster.metadata.name));
          this.reconciler.forget(cluster);
        },
      }, log),
      resilientInformer<V1Pod>(config, podPath, listPods, {
        change: (pod) => this.podChanged(pod),
        deleted: (pod) => this.podChanged(pod),
      }, log, podSelector),
    ];
  }

  async start(): Promise<void> {
    await Promise.all(this.informers.map((informer) => informer.start()));
  }

  /** Stops scheduling, stops the backups under way and waits for running passes to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.all(this.informers.map((informer) => informer.stop()));
    await Promise.all([...this.running.values(), this.reconciler.stop()]);
  }

  private podChanged(pod: V1Pod): void {
    const name = pod.metadata?.labels?.[LABELS.instance];
    if (name !== undefined) this.schedule(keyOf(pod.metadata?.namespace ?? '', name), CHANGE_DEBOUNCE_MS);
  }

  private forget(key: string): void {
    this.clusters.delete(key);
    clearTimeout(this.timers.get(key)?.timer);
    this.timers.delete(key);
  }

  /** A pass for `key` in `delayMs`, unless one is due sooner already. */
  private schedule(key: string, delayMs: number): void {
    if (this.stopped) return;
    // The pass that runs schedules the next one when it ends.
    if (this.running.has(key)) {
      this.rerun.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending !== undefined && pending.at <= at) return;
    clearTimeout(pending?.timer);
    this.timers.set(key, { at, timer: setTimeout(() => this.run(key), delayMs) });
  }

  private run(key: string): void {
    this.timers.delete(key);
    const cluster = this.clusters.get(key);
    if (cluster === undefined || this.stopped || this.running.has(key)) return;
    const pass = this.reconciler.reconcile(cluster).then(
      (nextInMs) => nextInMs,
      (error: unknown) => {
        this.logger.error({ err: error, cluster: key }, 'a pass failed unexpectedly');
        return 5_000;
      },
    ).then((nextInMs) => {
      this.running.delete(key);
      const again = this.rerun.delete(key);
      this.schedule(key, again ? CHANGE_DEBOUNCE_MS : nextInMs);
    });
    this.running.set(key, pass);
  }
}

function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
