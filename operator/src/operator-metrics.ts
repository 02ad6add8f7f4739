// The operator's own metrics, on its /metrics: how long passes take and how often they fail,
// the steps it takes, each cluster's phase (1 for the phase it is in, 0 for the others), and its
// backups: how many succeeded and failed, and when the last one finished.

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Phase } from './kvcluster.js';

const PHASES: readonly Phase[] = ['Creating', 'Restoring', 'Running', 'Scaling', 'Upgrading', 'Degraded', 'QuorumLost'];

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconcileDuration = new Histogram({
    name: 'bvault_operator_reconcile_duration_seconds',
    help: 'How long one pass over a KVCluster took',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({ name: 'bvault_operator_reconcile_errors_total', help: 'Passes that failed', labelNames: ['namespace', 'cluster'], registers: [this.registry] });
  readonly steps = new Counter({ name: 'bvault_operator_steps_total', help: 'Steps taken, by kind', labelNames: ['namespace', 'cluster', 'step'], registers: [this.registry] });
  readonly phase = new Gauge({ name: 'bvault_operator_cluster_phase', help: 'Each KVCluster\'s phase: 1 for the one it is in', labelNames: ['namespace', 'cluster', 'phase'], registers: [this.registry] });
  readonly backups = new Counter({ name: 'bvault_operator_backups_total', help: 'Backups attempted, by result (succeeded, failed)', labelNames: ['namespace', 'cluster', 'result'], registers: [this.registry] });
  readonly lastBackupTime = new Gauge({ name: 'bvault_operator_last_backup_timestamp_seconds', help: 'When each KVCluster\'s last backup by this operator finished, in Unix seconds', labelNames: ['namespace', 'cluster'], registers: [this.registry] });
  readonly isLeader = new Gauge({ name: 'bvault_operator_is_leader', help: '1 while this replica holds the operator\'s lease and reconciles', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  setPhase(namespace: string, cluster: string, current: Phase): void {
    for (const phase of PHASES) this.phase.set({ namespace, cluster, phase }, phase === current ? 1 : 0);
  }

  forgetCluster(namespace: string, cluster: string): void {
    for (const phase of PHASES) this.phase.remove({ namespace, cluster, phase });
    for (const result of ['succeeded', 'failed']) this.backups.remove({ namespace, cluster, result });
    this.lastBackupTime.remove({ namespace, cluster });
  }
}
