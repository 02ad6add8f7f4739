// Status, members and leadership. Member ids are 48-bit numbers, uint64 on the wire.
import type { MemberInfo } from '../../../node/kv-node.js';
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
  RotateEncryptionKeyResponse,
  StatusResponse,
} from '../../../generated/beavervault/v1/cluster.js';
import { ApiError } from '../../errors.js';
import type { GrpcContext } from '../grpc-context.js';
import { nonNegativeNumberOf } from '../wire-numbers.js';
import type { ResponseHeaders } from '../response-headers.js';

export class ClusterCalls {
  constructor(
    private readonly context: GrpcContext,
    private readonly headers: ResponseHeaders,
  ) {}

  async status(): Promise<StatusResponse> {
    const status = await this.context.node.status();
    const readiness = this.context.node.readiness();
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

  async list(): Promise<MemberListResponse> {
    return { header: this.headers.header(), members: this.members() };
  }

  async add(request: MemberAddRequest): Promise<MemberAddResponse> {
    if (request.name === '' || request.peerAddress === '') throw new ApiError('API_INVALID_PARAMETER', { name: 'member', reason: 'name and peer_address are required' });
    const added = await this.context.node.addMember({ name: request.name, peerAddress: request.peerAddress, clientUrls: request.clientUrls, learner: request.isLearner });
    return { header: this.headers.header(), member: memberMessage(added), members: this.members() };
  }

  async remove(request: MemberRemoveRequest): Promise<MemberRemoveResponse> {
    await this.context.node.removeMember(this.knownMember(request.id).id);
    return { header: this.headers.header(), members: this.members() };
  }

  async promote(request: MemberPromoteRequest): Promise<MemberPromoteResponse> {
    await this.context.node.promoteMember(this.knownMember(request.id).id);
    return { header: this.headers.header(), members: this.members() };
  }

  async moveLeader(request: MoveLeaderRequest): Promise<MoveLeaderResponse> {
    await this.context.node.transferLeadership(request.targetId === 0n ? undefined : this.knownMember(request.targetId).id);
    return { header: this.headers.header() };
  }

  /** This member only (docs/security.md); answers once its data is re-encrypted. */
  async rotateEncryptionKey(): Promise<RotateEncryptionKeyResponse> {
    const { keyId, valuesResealed, durationMs } = await this.context.node.rotateEncryptionKey();
    return { header: this.headers.header(), keyId, valuesResealed: BigInt(valuesResealed), durationMs: BigInt(durationMs) };
  }

  private members(): Member[] {
    return this.context.node.members().map(memberMessage);
  }

  private knownMember(id: bigint): MemberInfo {
    const wanted = nodeId(nonNegativeNumberOf(id, 'id'));
    const member = this.context.node.members().find((candidate) => candidate.id === wanted);
    if (member === undefined) throw new ApiError('API_MEMBER_NOT_FOUND', { name: String(id) });
    return member;
  }
}

function memberMessage(member: MemberInfo): Member {
  return { id: BigInt(member.id), name: member.name, peerAddress: member.peerAddress, clientUrls: [...member.clientUrls], isLearner: member.isLearner };
}
