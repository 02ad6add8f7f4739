// etcd's Cluster service over the node's membership calls. etcd speaks of peer URLs
// (http://host:port) where we keep peer addresses (host:port); ids are our 48-bit member ids
// in etcd's uint64 fields.
import type * as pb from '../../../generated/etcd/etcdserverpb/rpc.js';
import type { KvNode, MemberInfo } from '../../../node/kv-node.js';
import { nodeId } from '../../../raft/types.js';
import { mvccError } from '../../../mvcc/index.js';
import { NodeError } from '../../../node/errors.js';
import type { ResponseHeaders } from '../response-headers.js';
import { safeNumber, unary } from './etcd-call.js';

/** As in etcd, a member that has not started and published its client URLs has no name yet. */
export function memberMessage(member: MemberInfo): pb.Member {
  const started = member.clientUrls.length > 0;
  return { ID: BigInt(member.id), name: started ? member.name : '', peerURLs: [`http://${member.peerAddress}`], clientURLs: [...member.clientUrls], isLearner: member.isLearner };
}

/** host:port of an etcd peer URL. */
export function peerAddressOf(peerUrl: string): string {
  let url: URL;
  try {
    url = new URL(peerUrl);
  } catch {
    throw mvccError('MVCC_INVALID_ARGUMENT', { reason: `peer URL ${peerUrl} is not a URL` });
  }
  if (url.port === '') throw mvccError('MVCC_INVALID_ARGUMENT', { reason: `peer URL ${peerUrl} has no port` });
  return url.host;
}

/**
 * etcd's MemberAdd carries no name, but our member id is derived from the name, so a member
 * added through it is named after its peer address; start that member with this --name.
 */
export function memberNameOf(peerAddress: string): string {
  return `member-${peerAddress.replace(/[^A-Za-z0-9]/g, '-')}`;
}

export function clusterService(node: KvNode, headers: ResponseHeaders): pb.ClusterServer {
  const membersMessage = async (): Promise<{ header: pb.ResponseHeader; members: pb.Member[] }> => ({
    header: headers.header(),
    members: node.members().map(memberMessage),
  });
  return {
    memberAdd: unary(async (request: pb.MemberAddRequest) => {
      const peerUrl = request.peerURLs[0];
      if (peerUrl === undefined || request.peerURLs.length > 1) throw mvccError('MVCC_INVALID_ARGUMENT', { reason: 'give exactly one peer URL' });
      const peerAddress = peerAddressOf(peerUrl);
      const added = await node.addMember({ name: memberNameOf(peerAddress), peerAddress, learner: request.isLearner });
      const { header, members } = await membersMessage();
      return { header, member: memberMessage(added), members };
    }),
    memberRemove: unary(async (request: pb.MemberRemoveRequest) => {
      await node.removeMember(nodeId(safeNumber(request.ID, 'ID')));
      return membersMessage();
    }),
    memberUpdate: unary(async (request: pb.MemberUpdateRequest) => {
      const member = node.members().find((candidate) => BigInt(candidate.id) === request.ID);
      if (member === undefined) throw new NodeError('NODE_UNKNOWN_MEMBER', { member: request.ID.toString() });
      const unchanged = request.peerURLs.length === 1 && peerAddressOf(request.peerURLs[0] ?? '') === member.peerAddress;
      if (!unchanged) throw new NodeError('NODE_UNSUPPORTED', { operation: 'changing a member\'s peer URLs', reason: 'remove the member and add it again' });
      return membersMessage();
    }),
    memberList: unary(async () => membersMessage()),
    memberPromote: unary(async (request: pb.MemberPromoteRequest) => {
      await node.promoteMember(nodeId(safeNumber(request.ID, 'ID')));
      return membersMessage();
    }),
  };
}
