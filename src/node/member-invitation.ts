// The seed's join call (POST /api/v1/raft/join) names a new member by its id and peer address
// only; the member was started with wait-for-join and knows no cluster. After adding it, the
// member that served the call invites it: it sends the cluster id and the member list over the
// peer transport, again and again until the new member accepts, a member answers that it has
// no use for invitations (it already runs), the member is removed, or the window ends.

import type { Logger } from '../observability/logger.js';
import type { NodeId } from '../raft/types.js';
import { encodeJoinInvitation, isTransportError, JOIN_INVITATION_METHOD } from '../transport/index.js';
import type { PeerTransport } from '../transport/transport.js';
import type { MemberInfo } from './kv-node.js';

/** A waiting member may be started well after the join call, by hand. */
const INVITATION_WINDOW_MS = 10 * 60_000;
const INVITATION_RETRY_MS = 1_000;
const INVITATION_CALL_TIMEOUT_MS = 2_000;

export interface InvitationParts {
  readonly transport: PeerTransport;
  readonly clusterId: string;
  readonly members: () => readonly MemberInfo[];
  /** False once the inviting node closes. */
  readonly running: () => boolean;
  readonly logger: Logger;
}

/** Resolves when the invitation was accepted (true) or is no longer worth sending (false); never rejects. */
export async function inviteMember(parts: InvitationParts, id: NodeId): Promise<boolean> {
  const deadline = Date.now() + INVITATION_WINDOW_MS;
  while (Date.now() < deadline && parts.running()) {
    const members = parts.members();
    if (!members.some((member) => member.id === id)) return false;
    const payload = encodeJoinInvitation({
      clusterId: parts.clusterId,
      members: members.map(({ name, peerAddress, clientUrls }) => ({ name, peerAddress, clientUrls })),
    });
    try {
      await parts.transport.call(id, JOIN_INVITATION_METHOD, payload, INVITATION_CALL_TIMEOUT_MS);
      parts.logger.info({ member: id }, 'the added member accepted its invitation into the cluster');
      return true;
    } catch (error) {
      // A member that already runs in the cluster has no handler for the invitation.
      if (isTransportError(error) && error.code === 'TRANSPORT_UNKNOWN_METHOD') return false;
    }
    await new Promise((resolve) => setTimeout(resolve, INVITATION_RETRY_MS));
  }
  return false;
}
