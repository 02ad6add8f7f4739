// Requests that only the leader can answer, sent there by followers (transport.call), and the
// leader's side that serves them. A follower that does not know a leader fails fast with
// NODE_NO_LEADER; an unreachable leader becomes NODE_TIMEOUT. Both sides bound what is in
// flight by `forwardedRequestsMax`: a follower refuses one more call to the leader, and a leader
// one more call to serve, with NODE_OVERLOADED, which the follower passes on to its client.

import type { NodeId } from '../raft/types.js';
import { NO_NODE, nodeId, StateType } from '../raft/types.js';
import type { PeerTransport } from '../transport/transport.js';
import { isNodeError, NodeError } from './errors.js';
import type { AddMemberRequest, MemberInfo } from './kv-node.js';
import { answerBody, encodeFields, errorAnswer, FieldReader, okAnswer, PeerMethod } from './peer-calls.js';
import type { ReadyLoop } from './ready-loop.js';
import { isMvccError } from '../mvcc/index.js';
import type { NodeMetrics } from '../observability/metrics.js';
import { admits, overloaded } from './queue-limits.js';

/** The leader's implementations of the forwarded requests. */
export interface LeaderDuties {
  leaseKeepAlive(id: number): Promise<number>;
  leaseRemainingTtl(id: number): number;
  addMember(request: AddMemberRequest): Promise<MemberInfo>;
  promoteMember(id: NodeId): Promise<void>;
  updateMember(id: NodeId, peerAddress: string): Promise<void>;
  removeMember(id: NodeId): Promise<void>;
  transferLeadership(to: NodeId | undefined): Promise<void>;
}

export interface PeerForwarderParts {
  readonly transport: PeerTransport;
  readonly loop: ReadyLoop;
  readonly timeoutMs: number;
  readonly forwardedRequestsMax: number;
  readonly metrics: NodeMetrics;
}

const NO_BODY = new Uint8Array(0);

export class PeerForwarder {
  // Invariant: calls this node sent to the leader and has no answer for yet.
  private calling = 0;
  // Invariant: calls from followers this leader is serving.
  private serving = 0;

  constructor(private readonly parts: PeerForwarderParts) {}

  serve(duties: LeaderDuties): void {
    this.handle(PeerMethod.LeaseKeepAlive, async (reader) => encodeFields([await duties.leaseKeepAlive(reader.integer('lease id'))]));
    // A remaining TTL of -1 (expired) is sent as 0: the wire carries non-negative integers.
    this.handle(PeerMethod.LeaseRemainingTtl, async (reader) => encodeFields([duties.leaseRemainingTtl(reader.integer('lease id')) + 1]));
    this.handle(PeerMethod.AddMember, async (reader) => encodeMember(await duties.addMember(decodeAddMember(reader))));
    this.handle(PeerMethod.PromoteMember, async (reader) => {
      await duties.promoteMember(nodeId(reader.integer('member id')));
      return NO_BODY;
    });
    this.handle(PeerMethod.UpdateMember, async (reader) => {
      await duties.updateMember(nodeId(reader.integer('member id')), reader.text('peer address'));
      return NO_BODY;
    });
    this.handle(PeerMethod.RemoveMember, async (reader) => {
      await duties.removeMember(nodeId(reader.integer('member id')));
      return NO_BODY;
    });
    this.handle(PeerMethod.TransferLeadership, async (reader) => {
      const to = nodeId(reader.integer('target member id'));
      await duties.transferLeadership(to === NO_NODE ? undefined : to);
      return NO_BODY;
    });
  }

  async leaseKeepAlive(id: number): Promise<number> {
    return new FieldReader(await this.callLeader(PeerMethod.LeaseKeepAlive, encodeFields([id]))).integer('ttl');
  }

  async leaseRemainingTtl(id: number): Promise<number> {
    return new FieldReader(await this.callLeader(PeerMethod.LeaseRemainingTtl, encodeFields([id]))).integer('remaining ttl') - 1;
  }

  async addMember(request: AddMemberRequest): Promise<MemberInfo> {
    const urls = request.clientUrls ?? [];
    const payload = encodeFields([request.name, request.peerAddress, request.learner === false ? 0 : 1, urls.length, ...urls]);
    return decodeMember(new FieldReader(await this.callLeader(PeerMethod.AddMember, payload)));
  }

  async promoteMember(id: NodeId): Promise<void> {
    await this.callLeader(PeerMethod.PromoteMember, encodeFields([id]));
  }

  async updateMember(id: NodeId, peerAddress: string): Promise<void> {
    await this.callLeader(PeerMethod.UpdateMember, encodeFields([id, peerAddress]));
  }

  async removeMember(id: NodeId): Promise<void> {
    await this.callLeader(PeerMethod.RemoveMember, encodeFields([id]));
  }

  async transferLeadership(to: NodeId): Promise<void> {
    await this.callLeader(PeerMethod.TransferLeadership, encodeFields([to]));
  }

  private async callLeader(method: string, payload: Uint8Array): Promise<Uint8Array> {
    const leader = this.parts.loop.lead;
    if (leader === NO_NODE) throw new NodeError('NODE_NO_LEADER');
    const refusal = this.refusal(this.calling);
    if (refusal !== undefined) throw refusal;
    this.calling++;
    let answer: Uint8Array;
    try {
      answer = await this.parts.transport.call(leader, method, payload, this.parts.timeoutMs);
    } catch {
      throw new NodeError('NODE_TIMEOUT', { timeoutMs: this.parts.timeoutMs });
    } finally {
      this.calling--;
    }
    return answerBody(answer);
  }

  private refusal(inFlight: number): NodeError | undefined {
    const { forwardedRequestsMax, metrics } = this.parts;
    if (admits(inFlight, 1, forwardedRequestsMax)) return undefined;
    metrics.overloadRefusals.inc({ queue: 'forwarded-request queue' });
    return overloaded('forwarded-request queue', 'forwardedRequestsMax', forwardedRequestsMax, inFlight + 1, 'requests');
  }

  private handle(method: string, serve: (reader: FieldReader) => Promise<Uint8Array>): void {
    this.parts.transport.handle(method, async (payload) => {
      if (this.parts.loop.role !== StateType.Leader) return errorAnswer(new NodeError('NODE_NOT_LEADER', { leader: this.parts.loop.lead }));
      const refusal = this.refusal(this.serving);
      if (refusal !== undefined) return errorAnswer(refusal);
      this.serving++;
      try {
        return okAnswer(await serve(new FieldReader(payload)));
      } catch (error) {
        if (isNodeError(error) || isMvccError(error)) return errorAnswer(error);
        throw error;
      } finally {
        this.serving--;
      }
    });
  }
}

function decodeAddMember(reader: FieldReader): AddMemberRequest {
  const name = reader.text('name');
  const peerAddress = reader.text('peer address');
  const learner = reader.integer('learner') === 1;
  return { name, peerAddress, learner, clientUrls: readUrls(reader, 'client url') };
}

function encodeMember(member: MemberInfo): Uint8Array {
  return encodeFields([member.id, member.name, member.peerAddress, member.isLearner ? 1 : 0, member.clientUrls.length, ...member.clientUrls, member.grpcUrls.length, ...member.grpcUrls]);
}

function decodeMember(reader: FieldReader): MemberInfo {
  const id = nodeId(reader.integer('member id'));
  const name = reader.text('name');
  const peerAddress = reader.text('peer address');
  const isLearner = reader.integer('learner') === 1;
  const clientUrls = readUrls(reader, 'client url');
  const grpcUrls = readUrls(reader, 'grpc url');
  return { id, name, peerAddress, clientUrls, grpcUrls, isLearner };
}

function readUrls(reader: FieldReader, what: string): string[] {
  const count = reader.integer(`${what} count`);
  const urls: string[] = [];
  for (let index = 0; index < count; index++) urls.push(reader.text(what));
  return urls;
}
