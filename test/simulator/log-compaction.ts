// The application's log compaction: snapshot the state machine at the applied index, then
// discard the log up to a little below it, so that lagging and restarted nodes need snapshots.

import { logIndex } from '../../src/raft/types.js';
import type { Cluster } from './cluster.js';
import { encodeSnapshotData } from './digest-state-machine.js';
import type { SimulatedNode } from './simulated-node.js';
import { between } from './simulation-random.js';

/** Entries kept below a new snapshot, as servers keep a margin for slow followers. */
const COMPACTION_MARGIN_MAX = 8;

export function compactLog(cluster: Cluster, node: SimulatedNode): void {
  const { disk } = node;
  const applied = node.appliedIndex;
  if (applied <= disk.snapshot().metadata.index) return;
  disk.createSnapshot(logIndex(applied), node.confState, encodeSnapshotData(applied, node.stateDigest));
  const compactIndex = Math.max(disk.firstIndex(), applied - between(cluster.random, 0, COMPACTION_MARGIN_MAX));
  disk.compact(logIndex(compactIndex));
  cluster.stats.compactions += 1;
  cluster.trace?.(`t=${cluster.tick} n${node.id} snapshots at ${applied} and compacts its log up to ${compactIndex}`);
}
