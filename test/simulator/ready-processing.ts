// Processes one Ready the way the contract in src/raft/types.ts demands: send `messages`
// (allowed before the write), persist, only then send `messagesAfterPersist`, apply, advance.
// A node may crash between any two of these steps, losing everything not yet on its disk;
// that is how a core that answers a vote before the vote is durable gets caught.

import { EntryType, StateType } from '../../src/raft/types.js';
import type { Entry, HardState, Ready, SoftState } from '../../src/raft/types.js';
import type { Cluster } from './cluster.js';
import { CommandKind, applyToDigest, decodeCommand, decodeSnapshotData, entryDigest } from './digest-state-machine.js';
import { describeConfState } from './message-trace.js';
import type { RaftNode } from './raft-module.js';
import { decodeReadId } from './read-requests.js';
import { SimulationViolation } from './safety-checker.js';
import type { SimulatedNode } from './simulated-node.js';

export function processReady(cluster: Cluster, node: SimulatedNode, raft: RaftNode): void {
  const ready = raft.ready();
  const term = ready.hardState?.term ?? node.term;
  const leaderOfThisTerm = node.role === StateType.Leader && node.term === term;
  const becameLeader = ready.softState !== null && observeSoftState(cluster, node, ready.softState, ready.hardState, term);
  cluster.sendAll(node, ready.messages);
  if (cluster.crashedInReady(node, 'after sending messages, before persisting')) return;
  const previousCommit = node.commit;
  persist(cluster, node, ready);
  if (becameLeader) cluster.checker.leaderHoldsCommitted(node.id, term, node.disk);
  if (leaderOfThisTerm && node.commit > previousCommit) cluster.checker.leaderCommitted(node.id, term, node.commit, node.disk);
  if (cluster.crashedInReady(node, 'after persisting, before sending messagesAfterPersist')) return;
  cluster.sendAll(node, ready.messagesAfterPersist);
  apply(cluster, node, raft, ready);
  if (cluster.crashedInReady(node, 'after applying, before advance')) return;
  raft.advance(ready);
}

/** Returns whether the node just became leader. */
function observeSoftState(cluster: Cluster, node: SimulatedNode, softState: SoftState, hardState: HardState | null, term: number): boolean {
  const becameLeader = softState.state === StateType.Leader && node.role !== StateType.Leader;
  node.role = softState.state;
  if (becameLeader) {
    // The node's own vote counts toward its election even before it is durable.
    const votedForItselfNow = hardState !== null && hardState.vote === node.id;
    cluster.checker.leaderHasQuorum(node.id, term, node.confState, votedForItselfNow);
    cluster.leaderElected(node, term);
  }
  return becameLeader;
}

function persist(cluster: Cluster, node: SimulatedNode, ready: Ready): void {
  const { checker } = cluster;
  const hardState = ready.hardState;
  const durableStateChanged =
    ready.entries.length > 0 || (hardState !== null && (hardState.term !== node.term || hardState.vote !== node.disk.initialState().hardState.vote));
  if (durableStateChanged && !ready.mustSync) {
    throw new SimulationViolation('ready contract', `n${node.id} handed out new entries, term or vote with mustSync false`);
  }
  if (ready.snapshot !== null) node.disk.applySnapshot(ready.snapshot);
  node.disk.append(ready.entries);
  if (hardState !== null) node.disk.setHardState(hardState);
  checker.entriesPersisted(node.id, ready.entries, node.disk);
  const term = hardState?.term ?? node.term;
  const commit = hardState?.commit ?? node.commit;
  checker.termAdvanced(node.id, node.term, term);
  if (hardState !== null && hardState.vote !== 0) checker.voteCast(node.id, hardState.term, hardState.vote);
  checker.commitPersisted(node.id, term, ready.entries, node.commit, commit, node.disk);
  node.term = term;
  node.commit = commit;
}

function apply(cluster: Cluster, node: SimulatedNode, raft: RaftNode, ready: Ready): void {
  if (ready.snapshot !== null) {
    const { index, stateDigest } = decodeSnapshotData(ready.snapshot.data);
    const metadata = ready.snapshot.metadata;
    if (index !== metadata.index) {
      throw new SimulationViolation('state machine safety', `n${node.id} got a snapshot at ${metadata.index} holding the state at ${index}`);
    }
    cluster.checker.snapshotRestored(node.id, index, stateDigest, node.appliedIndex);
    node.appliedIndex = index;
    node.stateDigest = stateDigest;
    node.confState = metadata.confState;
    cluster.stats.snapshots += 1;
    cluster.trace?.(`t=${cluster.tick} n${node.id} installs the snapshot at ${index}@${metadata.term}`);
  }
  for (const readState of ready.readStates) {
    cluster.checker.readAnswered(node.id, decodeReadId(readState.context), readState.index);
    cluster.stats.reads += 1;
  }
  for (const entry of ready.committedEntries) applyEntry(cluster, node, raft, entry);
}

function applyEntry(cluster: Cluster, node: SimulatedNode, raft: RaftNode, entry: Entry): void {
  const stateDigest = applyToDigest(node.stateDigest, entry, entryDigest(entry));
  cluster.checker.entryApplied(node.id, entry, node.appliedIndex, stateDigest);
  node.appliedIndex = entry.index;
  node.stateDigest = stateDigest;
  if (entry.type === EntryType.ConfChange) {
    node.confState = raft.applyConfChange(cluster.raft.decodeConfChange(entry.data));
    cluster.checker.confChangeApplied(node.id, entry.index, describeConfState(node.confState));
    cluster.membershipApplied(entry.index, node.confState);
    return;
  }
  const command = decodeCommand(entry.data);
  if (command === null) return;
  if (command.kind === CommandKind.Probe) cluster.probeIndex ??= entry.index;
  else if (entry.index > cluster.writesAppliedIndex) {
    cluster.writesAppliedIndex = entry.index;
    cluster.stats.writes += 1;
  }
}
