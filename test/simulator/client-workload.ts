// What clients and the operator ask of the cluster during the run: writes (single and batched),
// linearizable reads, membership changes, leadership transfers and log compactions.

import { ConfChangeType, nodeId } from '../../src/raft/types.js';
import type { Cluster } from './cluster.js';
import { CommandKind, encodeCommand } from './digest-state-machine.js';
import type { FaultProfile } from './fault-profile.js';
import { compactLog } from './log-compaction.js';
import { chooseConfChange, leaveJointRequest } from './membership-changes.js';
import { describeConfState } from './message-trace.js';
import { encodeReadId } from './read-requests.js';
import type { SimulatedNode } from './simulated-node.js';
import { between, chance, pick } from './simulation-random.js';

const COMMAND_PADDING_BYTES_MAX = 40;
const BATCH_COMMANDS_MAX = 4;

export class ClientWorkload {
  private nextCommandId = 1;
  private nextReadId = 1;

  constructor(private readonly cluster: Cluster) {}

  issue(faults: FaultProfile): void {
    const random = this.cluster.random;
    if (chance(random, faults.proposalRate)) this.write();
    if (chance(random, faults.readRate)) this.read();
    if (chance(random, faults.confChangeRate)) this.changeMembership();
    if (chance(random, faults.transferRate)) this.transferLeadership();
    if (chance(random, faults.compactionRate)) {
      const node = this.randomRunningNode();
      if (node !== null) compactLog(this.cluster, node);
    }
  }

  /** Proposes a liveness probe at the leader, if there is one. */
  proposeProbe(): void {
    const leader = this.cluster.leader();
    if (leader === null) return;
    const error = leader.raft!.propose(this.command(CommandKind.Probe));
    this.cluster.trace?.(`t=${this.cluster.tick} probe proposed at n${leader.id}: ${error?.message ?? 'accepted'}`);
  }

  /** Proposes leaving a joint configuration that is not left automatically. */
  leaveJoint(): void {
    const leader = this.cluster.leader();
    const request = leader === null ? null : leaveJointRequest(leader.confState);
    if (request !== null) leader!.raft!.proposeConfChange(request);
  }

  private write(): void {
    const node = this.randomRunningNode();
    if (node === null) return;
    const random = this.cluster.random;
    if (chance(random, 0.2)) {
      const commands = Array.from({ length: between(random, 1, BATCH_COMMANDS_MAX) }, () => this.command(CommandKind.Write));
      node.raft!.proposeBatch(commands);
    } else {
      node.raft!.propose(this.command(CommandKind.Write));
    }
  }

  private read(): void {
    const node = this.randomRunningNode();
    if (node === null) return;
    const readId = this.nextReadId++;
    this.cluster.checker.readIssued(readId);
    node.raft!.readIndex(encodeReadId(readId));
  }

  private changeMembership(): void {
    const { cluster } = this;
    const leader = cluster.leader();
    if (leader === null) return;
    const change = chooseConfChange(cluster.random, leader.confState, this.joinableSpares());
    if (change === null) return;
    const error = leader.raft!.proposeConfChange(change);
    const described = change.changes.map((single) => `${ConfChangeType[single.type]} n${single.nodeId}`).join(' ') || 'leave joint';
    cluster.trace?.(
      `t=${cluster.tick} n${leader.id} asked to change {${describeConfState(leader.confState)}} by [${described}]: ${error?.message ?? 'accepted'}`,
    );
  }

  private transferLeadership(): void {
    const { cluster } = this;
    const leader = cluster.leader();
    if (leader === null) return;
    const others = leader.confState.voters.filter((id) => id !== leader.id);
    if (others.length === 0) return;
    const target = pick(cluster.random, others);
    const error = leader.raft!.transferLeadership(nodeId(target));
    cluster.trace?.(`t=${cluster.tick} n${leader.id} asked to transfer leadership to n${target}: ${error?.message ?? 'accepted'}`);
    if (error === null) cluster.transferRequested(target);
  }

  /**
   * Spares that may be added now. Without bootstrap the initial membership is a ConfState on
   * disk, not an entry, so a joining node can learn it only from a snapshot: no member may still
   * hold the log from index 1, as leader it would send those entries instead. Until every member
   * compacted, this compacts the running ones and offers no spare.
   */
  private joinableSpares(): number[] {
    const spares = this.cluster.spareIds();
    if (this.cluster.shape.bootstrap) return spares;
    let everyMemberCompacted = true;
    for (const node of this.cluster.nodes) {
      if (node.removed || spares.includes(node.id) || node.disk.firstIndex() > 1) continue;
      everyMemberCompacted = false;
      if (node.running()) compactLog(this.cluster, node);
    }
    return everyMemberCompacted ? spares : [];
  }

  private command(kind: CommandKind): Uint8Array {
    return encodeCommand({ kind, id: this.nextCommandId++ }, between(this.cluster.random, 0, COMMAND_PADDING_BYTES_MAX));
  }

  private randomRunningNode(): SimulatedNode | null {
    const running = this.cluster.nodes.filter((node) => node.running());
    return running.length === 0 ? null : pick(this.cluster.random, running);
  }
}
