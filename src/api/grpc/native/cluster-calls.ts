// Status, members and leadership. Member ids are 48-bit numbers, uint64 on the wire.
import type { KvNode, MemberInfo } from '../../../node/kv-node.js';
import { nodeId } from '../../../raft/types.js';
import type {
  Member,
  MemberAddRequest,
  MemberAddResponse,
  MemberListResponse,
  MemberPromoteRequest,
  MemberPromoteResponse,
  MemberRemoveRequest,
  MemberRemoveResponse,
  MoveLeaderRequest,
  MoveLeaderResponse,
  StatusResponse,
} from '../../../generated/beavervault/v1/cluster.js';
import { ApiError } from '../../errors.js';
import { nonNegativeNumberOf } from '../wire-numbers.js';
import type { ResponseHeaders } from '../response-headers.js';

export class ClusterCalls {
  constructor(private readonly headers: ResponseHeaders) {}

  async status(node: KvNode): Promise<StatusResponse> {
    const status = await node.status();
    const readiness = node.readiness();
    return {
      header: this.headers.header(status.revision),
      name: status.name,
      version: status.version,
      role: status.role,
      isLearner: status.isLearner,
      commitIndex: BigInt(status.commitIndex),
      appliedIndex: BigInt(status.appliedIndex),
      lastIndex: BigInt(status.lastIndex),
      compactRevision: BigInt(status.compactRevision),
      dbSizeBytes: BigInt(status.dbSizeBytes),
      quotaBytes: BigInt(status.quotaBytes),
      alarms: status.alarms.map((alarm) => ({ memberId: BigInt(alarm.memberId), alarm: alarm.alarm })),
      ready: readiness.ready,
      notReadyReason: readiness.reason,
    };
  }

  async list(node: KvNode): Promise<MemberListResponse> {
    return { header: this.headers.header(), members: this.members(node) };
  }

  async add(node: KvNode, request: MemberAddRequest): Promise<MemberAddResponse> {
    if (request.name === '' || request.peerAddress === '') throw new ApiError('API_INVALID_PARAMETER', { name: 'member', reason: 'name and peer_address are required' });
    const added = await node.addMember({ name: request.name, peerAddress: request.peerAddress, clientUrls: request.clientUrls, learner: request.isLearner });
    return { header: this.headers.header(), member: memberMessage(added), members: this.members(node) };
  }

  async remove(node: KvNode, request: MemberRemoveRequest): Promise<MemberRemoveResponse> {
    await node.removeMember(this.knownMember(node, request.id).id);
    return { header: this.headers.header(), members: this.members(node) };
  }

  async promote(node: KvNode, request: MemberPromoteRequest): Promise<MemberPromoteResponse> {
    await node.promoteMember(this.knownMember(node, request.id).id);
    return { header: this.headers.header(), members: this.members(node) };
  }

  async moveLeader(node: KvNode, request: MoveLeaderRequest): Promise<MoveLeaderResponse> {
    await node.transferLeadership(request.targetId === 0n ? undefined : this.knownMember(node, request.targetId).id);
    return { header: this.headers.header() };
  }

  private members(node: KvNode): Member[] {
    return node.members().map(memberMessage);
  }

  private knownMember(node: KvNode, id: bigint): MemberInfo {
    const wanted = nodeId(nonNegativeNumberOf(id, 'id'));
    const member = node.members().find((candidate) => candidate.id === wanted);
    if (member === undefined) throw new ApiError('API_MEMBER_NOT_FOUND', { name: String(id) });
    return member;
  }
}

function memberMessage(member: MemberInfo): Member {
  return { id: BigInt(member.id), name: member.name, peerAddress: member.peerAddress, clientUrls: [...member.clientUrls], isLearner: member.isLearner };
}
