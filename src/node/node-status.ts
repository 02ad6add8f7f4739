// What a member reports about itself: its status (Raft's view, the store's position and
// size, the quota and alarms), read by the status APIs, and its readiness to serve clients: a
// leader is known and this member has applied close to the commit index it knows of.

import type { RawNode } from '../raft/raw-node.js';
import type { NodeId } from '../raft/types.js';
import { NO_NODE } from '../raft/types.js';
import type { NodeStatus, Readiness } from './kv-node.js';
import { KEYSPACE_GROUP, type NodeStorage } from './node-storage.js';
import type { QuotaMonitor } from './quota-monitor.js';
import type { ReadyLoop } from './ready-loop.js';
import { NODE_VERSION } from './version.js';

/** The node's own lifecycle: it serves only while running. */
export type NodeState = 'running' | 'closing' | 'closed' | 'failed';

/** A node this many entries behind the commit index it knows is not ready for clients. */
const READY_APPLY_LAG_ENTRIES_MAX = 100;

export interface StatusSources {
  readonly id: NodeId;
  readonly name: string;
  readonly clusterId: string;
  readonly rawNode: RawNode;
  readonly storage: NodeStorage;
  readonly quota: QuotaMonitor;
}

/** The database is measured while the node runs; once it stopped, the last measurement is reported. */
export async function nodeStatus(sources: StatusSources, running: boolean): Promise<NodeStatus> {
  const { id, rawNode, storage, quota } = sources;
  const { mvcc } = storage;
  const status = rawNode.status();
  const sizeBytes = running ? await mvcc.backendSize() : quota.measuredBytes;
  return {
    id,
    name: sources.name,
    clusterId: sources.clusterId,
    groupId: KEYSPACE_GROUP,
    version: NODE_VERSION,
    role: status.softState.state,
    isLearner: status.confState.learners.includes(id),
    leaderId: status.softState.lead,
    term: status.hardState.term,
    commitIndex: status.hardState.commit,
    appliedIndex: mvcc.appliedIndex,
    lastIndex: storage.logStore.lastIndex(),
    revision: mvcc.currentRevision,
    compactRevision: mvcc.compactRevision,
    dbSizeBytes: sizeBytes,
    quotaBytes: quota.quotaBytes,
    alarms: [...mvcc.alarms],
  };
}

export function nodeReadiness(state: NodeState, loop: Pick<ReadyLoop, 'lead' | 'commitIndex'>, appliedIndex: number): Readiness {
  if (state !== 'running') return { ready: false, reason: `the node is ${state}` };
  if (loop.lead === NO_NODE) return { ready: false, reason: 'no leader is known' };
  if (appliedIndex + READY_APPLY_LAG_ENTRIES_MAX < loop.commitIndex) {
    return { ready: false, reason: `catching up: applied ${appliedIndex} of ${loop.commitIndex} committed entries` };
  }
  return { ready: true, reason: '' };
}
