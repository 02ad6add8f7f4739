// Membership: list, add (as a learner by default), promote, remove, and move the leadership.
import { callUnary, type CallRunner } from './call-runner.js';
import type { CallOptions } from './client-options.js';
import { type Member, memberOf, type ReadConsistency, wireConsistencyOf } from './results.js';

export interface AddMemberRequest {
  readonly name: string;
  /** host:port of the new member's peer (Raft) listener. */
  readonly peerAddress: string;
  readonly clientUrls?: readonly string[];
  /** Joins as a non-voting learner unless false; promote it once it has caught up. */
  readonly learner?: boolean;
}

export class MemberCalls {
  constructor(private readonly runner: CallRunner) {}

  async list(options: CallOptions & { readonly consistency?: ReadConsistency } = {}): Promise<readonly Member[]> {
    const request = { consistency: wireConsistencyOf(options.consistency) };
    const response = await this.runner.run({ kind: 'read', idempotent: true, timeoutMs: options.timeoutMs }, (client, deadline) => callUnary(client.memberList.bind(client), request, deadline));
    return response.members.map(memberOf);
  }

  async add(member: AddMemberRequest, options: CallOptions = {}): Promise<{ readonly member: Member; readonly members: readonly Member[] }> {
    const request = { name: member.name, peerAddress: member.peerAddress, clientUrls: [...(member.clientUrls ?? [])], isLearner: member.learner ?? true };
    const response = await this.runner.run({ kind: 'write', idempotent: false, timeoutMs: options.timeoutMs }, (client, deadline) => callUnary(client.memberAdd.bind(client), request, deadline));
    if (response.member === undefined) throw new TypeError('the server answered MemberAdd without the member');
    return { member: memberOf(response.member), members: response.members.map(memberOf) };
  }

  /** Refused with NODE_NOT_CAUGHT_UP until the learner has caught up with the leader. */
  async promote(id: bigint, options: CallOptions = {}): Promise<readonly Member[]> {
    const response = await this.runner.run({ kind: 'write', idempotent: false, timeoutMs: options.timeoutMs }, (client, deadline) => callUnary(client.memberPromote.bind(client), { id }, deadline));
    return response.members.map(memberOf);
  }

  async remove(id: bigint, options: CallOptions = {}): Promise<readonly Member[]> {
    const response = await this.runner.run({ kind: 'write', idempotent: false, timeoutMs: options.timeoutMs }, (client, deadline) => callUnary(client.memberRemove.bind(client), { id }, deadline));
    return response.members.map(memberOf);
  }

  /** Moves leadership to `targetId`, or to the most caught-up voter when omitted. */
  async moveLeader(targetId?: bigint, options: CallOptions = {}): Promise<void> {
    await this.runner.run({ kind: 'write', idempotent: false, timeoutMs: options.timeoutMs }, (client, deadline) => callUnary(client.moveLeader.bind(client), { targetId: targetId ?? 0n }, deadline));
  }
}
