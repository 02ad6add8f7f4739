// The node's upkeep of its Raft log, run between Ready-loop iterations (the loop's
// afterIteration), at the index Raft applied. A snapshot, and compaction behind it, is created
// when the SnapshotPolicy says one is due. A key rotation's re-seal waits here until every
// entry written before the rotation's new WAL segment is applied; a snapshot then lets every
// segment sealed under an older key go (key-rotation.ts).

import type { Logger } from '../observability/logger.js';
import type { NodeMetrics } from '../observability/metrics.js';
import type { RawNode } from '../raft/raw-node.js';
import type { ConfState } from '../raft/types.js';
import type { DurableLogStore } from '../storage/index.js';
import { NodeError } from './errors.js';
import type { MemberTable } from './member-table.js';
import type { NodeClock } from './node-io.js';
import type { SnapshotPolicy } from './snapshot-policy.js';

export interface LogMaintenanceParts {
  readonly rawNode: RawNode;
  readonly logStore: DurableLogStore;
  readonly members: MemberTable;
  readonly confState: () => ConfState;
  readonly policy: SnapshotPolicy;
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
  readonly clock: NodeClock;
  /** How long a re-seal may wait for the entries before it to be applied. */
  readonly requestTimeoutMs: number;
  /** Asks the Ready loop for an iteration; resealLogIfAsked runs after it. */
  readonly wake: () => void;
}

interface PendingLogReseal {
  readonly sequence: number;
  readonly lastIndexBefore: number;
  readonly deadlineMs: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class LogMaintenance {
  /** A key rotation waiting for the log to be re-sealed once the entries before `lastIndexBefore` are applied. */
  private logReseal: PendingLogReseal | undefined;

  constructor(private readonly parts: LogMaintenanceParts) {}

  /** Resolves once the Ready loop re-sealed the log (see resealLogIfAsked); rejects with NODE_TIMEOUT after the request timeout. */
  resealLog(sequence: number, lastIndexBefore: number): Promise<void> {
    const deadlineMs = this.parts.clock.monotonicNowMs() + this.parts.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      this.logReseal = { sequence, lastIndexBefore, deadlineMs, resolve, reject };
      this.parts.wake();
    });
  }

  /** Creates the snapshot the policy asks for now, if any, and compacts behind it. */
  async snapshotByPolicy(): Promise<void> {
    const { logStore, rawNode, metrics, logger } = this.parts;
    const plan = this.parts.policy.plan(rawNode.appliedIndex(), logStore.snapshot().metadata.index, logStore);
    if (plan === undefined) return;
    const started = performance.now();
    const confState = this.parts.confState();
    await logStore.createSnapshot(plan.snapshotIndex as never, confState, this.parts.members.encode());
    if (plan.compactIndex !== undefined) await logStore.compact(plan.compactIndex as never);
    metrics.snapshotSaveDuration.observe((performance.now() - started) / 1000);
    logger.info({ snapshotIndex: plan.snapshotIndex, compactIndex: plan.compactIndex }, 'created a snapshot');
  }

  /**
   * Like snapshotByPolicy: once every entry written before the rotation's new segment is
   * applied, a snapshot at Raft's applied index lets every older segment go. Entries not yet
   * committed can hold one back; the next iteration tries again, until the deadline.
   */
  async resealLogIfAsked(): Promise<void> {
    const pending = this.logReseal;
    if (pending === undefined) return;
    const applied = this.parts.rawNode.appliedIndex();
    try {
      const { logStore } = this.parts;
      if (applied >= pending.lastIndexBefore && (await logStore.resealUnderCurrentKey(applied as never, this.parts.confState(), this.parts.members.encode(), pending.sequence))) {
        this.logReseal = undefined;
        pending.resolve();
      } else if (this.parts.clock.monotonicNowMs() > pending.deadlineMs) {
        this.logReseal = undefined;
        pending.reject(new NodeError('NODE_TIMEOUT', { timeoutMs: this.parts.requestTimeoutMs }));
      }
    } catch (error) {
      this.logReseal = undefined;
      pending.reject(error);
    }
  }
}
