// etcd's Cluster service over the node's membership calls. etcd speaks of peer URLs
// (http://host:port) where we keep peer addresses (host:port); ids are our 48-bit member ids
// in etcd's uint64 fields.
import { ClusterService } from '../../../generated/etcd/etcdserverpb/rpc.js';
import type * as pb from '../../../generated/etcd/etcdserverpb/rpc.js';
import type { KvNode, MemberInfo } from '../../../node/kv-node.js';
import { nodeId } from '../../../raft/types.js';
import { mvccError } from '../../../mvcc/index.js';
import { type EtcdContext, safeNumber, unary } from './etcd-call.js';

/**
 * As in etcd, a member that has not started and published its client URLs has no name yet.
 * etcd's client URLs are where its gRPC API answers (etcdctl --cluster and clientv3's endpoint
 * sync dial them), so they are the member's gRPC URLs; the REST URLs stay in the native API.
 */
export function memberMessage(member: MemberInfo): pb.Member {
  const started = member.clientUrls.length > 0 || member.grpcUrls.length > 0;
  return { ID: BigInt(member.id), name: started ? member.name : '', peerURLs: [`http://${member.peerAddress}`], clientURLs: member.grpcUrls.map(etcdClientUrlOf), isLearner: member.isLearner };
}

/**
 * A plaintext gRPC URL as host:port, which every etcd client reads as a plaintext endpoint.
 * With the http:// kept, etcdctl 3.4's `endpoint status` sends it as the HTTP/2 :authority,
 * which Node's HTTP/2 server refuses (RST_STREAM PROTOCOL_ERROR) where etcd's Go server
 * accepts it. An https:// URL keeps its scheme: it tells the client to use TLS.
 */
export function etcdClientUrlOf(grpcUrl: string): string {
  return grpcUrl.startsWith('http://') ? new URL(grpcUrl).host : grpcUrl;
}

/** host:port of an etcd peer URL. */
/** A member has one peer address: etcd's list of peer URLs must hold exactly one. */
function onePeerAddress(peerUrls: readonly string[]): string {
  const peerUrl = peerUrls[0];
  if (peerUrl === undefined || peerUrls.length > 1) throw mvccError('MVCC_INVALID_ARGUMENT', { reason: 'give exactly one peer URL' });
  return peerAddressOf(peerUrl);
}

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

export function clusterService(context: EtcdContext): pb.ClusterServer {
  const membersMessage = async (node: KvNode): Promise<{ header: pb.ResponseHeader; members: pb.Member[] }> => ({
    header: context.headers.header(),
    members: node.members().map(memberMessage),
  });
  return {
    memberAdd: unary(context, ClusterService.memberAdd.path, async (node, request: pb.MemberAddRequest) => {
      const peerAddress = onePeerAddress(request.peerURLs);
      const added = await node.addMember({ name: memberNameOf(peerAddress), peerAddress, learner: request.isLearner });
      const { header, members } = await membersMessage(node);
      return { header, member: memberMessage(added), members };
    }),
    memberRemove: unary(context, ClusterService.memberRemove.path, async (node, request: pb.MemberRemoveRequest) => {
      await node.removeMember(nodeId(safeNumber(request.ID, 'ID')));
      return membersMessage(node);
    }),
    memberUpdate: unary(context, ClusterService.memberUpdate.path, async (node, request: pb.MemberUpdateRequest) => {
      await node.updateMember(nodeId(safeNumber(request.ID, 'ID')), onePeerAddress(request.peerURLs));
      return membersMessage(node);
    }),
    memberList: unary(context, ClusterService.memberList.path, async (node) => membersMessage(node)),
    memberPromote: unary(context, ClusterService.memberPromote.path, async (node, request: pb.MemberPromoteRequest) => {
      await node.promoteMember(nodeId(safeNumber(request.ID, 'ID')));
      return membersMessage(node);
    }),
  };
}
