// Membership changes at the leader: add a member (a learner unless told otherwise), promote a
// learner once it has caught up, give a member a new peer address, remove a member, and hand
// leadership over. Each change of who votes is one ConfChange through joint consensus; the
// caller waits until this node has applied it and left the joint configuration. Followers
// forward these requests to the leader.

import type { RawNode } from '../raft/raw-node.js';
import type { ConfChange, ConfChangeSingle, ConfState, NodeId } from '../raft/types.js';
import { ConfChangeTransition, ConfChangeType, EMPTY_BYTES, NO_NODE } from '../raft/types.js';
import type { ConditionWaiters } from './condition-waiters.js';
import { encodeEnvelope, EntryKind, UNTRACKED_REQUEST_ID } from './entry-envelope.js';
import { memberIdText, NodeError, nodeErrorOfRaft } from './errors.js';
import { memberIdOf } from './identity.js';
import type { AddMemberRequest, MemberInfo } from './kv-node.js';
import { encodeMemberContext, type MemberTable } from './member-table.js';
import type { ReadyLoop } from './ready-loop.js';
import type { NodeClock } from './node-io.js';

/** A learner this close to the leader's last index is caught up enough to vote. */
export const PROMOTION_LAG_ENTRIES_MAX = 64;

export interface MembershipParts {
  readonly id: NodeId;
  readonly rawNode: RawNode;
  readonly loop: ReadyLoop;
  readonly waiters: ConditionWaiters;
  readonly members: MemberTable;
  readonly lastIndex: () => number;
  readonly timeoutMs: number;
  readonly clock: NodeClock;
}

export class Membership {
  constructor(private readonly parts: MembershipParts) {}

  confState(): ConfState {
    return this.parts.rawNode.status().confState;
  }

  async addMember(request: AddMemberRequest): Promise<MemberInfo> {
    const id = memberIdOf(request.name);
    const existing = this.parts.members.members(this.confState()).find((member) => member.id === id);
    if (existing !== undefined) return existing;
    const learner = request.learner ?? true;
    const details = new Map([[id, { name: request.name, peerAddress: request.peerAddress, clientUrls: request.clientUrls ?? [], grpcUrls: [] }]]);
    const change = { type: learner ? ConfChangeType.AddLearnerNode : ConfChangeType.AddNode, nodeId: id };
    await this.change(change, encodeMemberContext(details), (confState) => (learner ? confState.learners : confState.voters).includes(id));
    const added = this.parts.members.members(this.confState()).find((member) => member.id === id);
    if (added === undefined) throw new NodeError('NODE_UNKNOWN_MEMBER', { member: request.name });
    return added;
  }

  /**
   * Refuses with NODE_NOT_CAUGHT_UP until the learner has acknowledged the leader's log to
   * within PROMOTION_LAG_ENTRIES_MAX entries. A learner that never answered (match 0) is never
   * caught up, however short the log: promoting it would add a voter that cannot vote.
   */
  async promoteMember(id: NodeId): Promise<void> {
    const status = this.parts.rawNode.status();
    const progress = status.progress.get(id);
    if (progress === undefined) throw new NodeError('NODE_UNKNOWN_MEMBER', { member: memberIdText(id) });
    if (!progress.isLearner) return;
    const lastIndex = this.parts.lastIndex();
    if (progress.match === 0) {
      throw new NodeError('NODE_NOT_CAUGHT_UP', { member: memberIdText(id), reason: 'it has not acknowledged any of the leader\'s log yet' });
    }
    if (progress.match + PROMOTION_LAG_ENTRIES_MAX < lastIndex) {
      throw new NodeError('NODE_NOT_CAUGHT_UP', { member: memberIdText(id), reason: `its log ends at ${progress.match}, the leader's at ${lastIndex}` });
    }
    await this.change({ type: ConfChangeType.AddNode, nodeId: id }, EMPTY_BYTES, (confState) => confState.voters.includes(id));
  }

  /**
   * Gives a member a new peer address (etcd's MemberUpdate): an entry of its own, not a
   * ConfChange, since who votes does not change. Every member dials it there once it applied
   * the entry; the member itself must then listen there.
   */
  async updateMember(id: NodeId, peerAddress: string): Promise<void> {
    const { members, loop, waiters, clock, timeoutMs } = this.parts;
    this.mustBeMember(id);
    const member = members.get(id);
    if (member === undefined) throw new NodeError('NODE_UNKNOWN_MEMBER', { member: memberIdText(id) });
    if (member.peerAddress === peerAddress) return;
    const payload = encodeMemberContext(new Map([[id, { ...member, peerAddress }]]));
    const startedMs = clock.monotonicNowMs();
    loop.propose(encodeEnvelope(this.parts.id, UNTRACKED_REQUEST_ID, payload, EntryKind.MemberPeerAddress), UNTRACKED_REQUEST_ID);
    await waiters.waitFor(() => members.get(id)?.peerAddress === peerAddress, startedMs, timeoutMs);
  }

  async removeMember(id: NodeId): Promise<void> {
    this.mustBeMember(id);
    const gone = (next: ConfState): boolean => ![...next.voters, ...next.learners, ...next.votersOutgoing].includes(id);
    await this.change({ type: ConfChangeType.RemoveNode, nodeId: id }, EMPTY_BYTES, gone);
  }

  /** Hands leadership to `to`, or to the voter with the longest log; resolves once another member leads. */
  async transferLeadership(to: NodeId | undefined, timeoutMs = this.parts.timeoutMs): Promise<void> {
    const target = to ?? this.mostCaughtUpVoter();
    if (target === NO_NODE) throw new NodeError('NODE_INVALID_MEMBERSHIP', { reason: 'there is no other voter to lead' });
    if (target === this.parts.id) return;
    await this.onLoop(() => this.parts.rawNode.transferLeadership(target));
    const { loop, waiters } = this.parts;
    await waiters.waitFor(() => loop.lead !== this.parts.id && loop.lead !== NO_NODE, this.parts.clock.monotonicNowMs(), timeoutMs);
  }

  mostCaughtUpVoter(): NodeId {
    const status = this.parts.rawNode.status();
    let best: NodeId = NO_NODE;
    let bestMatch = -1;
    for (const voter of status.confState.voters) {
      const progress = status.progress.get(voter);
      if (voter === this.parts.id || progress === undefined || progress.match <= bestMatch) continue;
      best = voter;
      bestMatch = progress.match;
    }
    return best;
  }

  private async change(single: ConfChangeSingle, context: Uint8Array, applied: (confState: ConfState) => boolean): Promise<void> {
    const change: ConfChange = { transition: ConfChangeTransition.Auto, changes: [single], context };
    const { waiters, timeoutMs } = this.parts;
    const startedMs = this.parts.clock.monotonicNowMs();
    const outOfJoint = (): boolean => this.confState().votersOutgoing.length === 0;
    // The previous change leaves its joint configuration by itself within a round trip or two;
    // wait for that rather than refuse a change that arrives meanwhile. One deadline covers both waits.
    await waiters.waitFor(outOfJoint, startedMs, timeoutMs);
    await this.onLoop(() => this.parts.rawNode.proposeConfChange(change));
    await waiters.waitFor(() => outOfJoint() && applied(this.confState()), startedMs, timeoutMs);
  }

  /** Throws NODE_UNKNOWN_MEMBER unless `id` is a voter or a learner. */
  private mustBeMember(id: NodeId): void {
    const confState = this.confState();
    if (![...confState.voters, ...confState.learners].includes(id)) throw new NodeError('NODE_UNKNOWN_MEMBER', { member: memberIdText(id) });
  }

  /** Runs a RawNode call inside the Ready loop and turns its refusal into a NodeError. */
  private onLoop(call: () => { readonly code: string; readonly message: string } | null): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.parts.loop.run(() => {
        const refused = call();
        if (refused === null) resolve();
        else reject(nodeErrorOfRaft(refused));
      });
    });
  }
}
