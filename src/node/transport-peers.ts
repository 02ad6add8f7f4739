// Keeps the transport's peers in step with the membership: every member but this one, at its
// peer address, is set; a member that left is removed. The node updates it at start, after
// every membership change it applies, and when a snapshot replaces the member table.

import type { ConfState, NodeId } from '../raft/types.js';
import type { PeerTransport } from '../transport/transport.js';
import { detailsByMemberId, type MemberTable } from './member-table.js';
import type { MemberAddress } from './node-options.js';

export interface TransportPeersParts {
  readonly id: NodeId;
  readonly transport: PeerTransport;
  readonly members: MemberTable;
  /** The members the node's options name (knownMembers). */
  readonly configured: readonly MemberAddress[];
}

export class TransportPeers {
  // Invariant: the peers handed to the transport: every member but this one.
  private readonly peerIds = new Set<NodeId>();

  constructor(private readonly parts: TransportPeersParts) {}

  update(confState: ConfState): void {
    const { id: self, transport } = this.parts;
    const wanted = new Set<NodeId>();
    for (const member of this.parts.members.members(confState)) {
      if (member.id === self || member.peerAddress.length === 0) continue;
      wanted.add(member.id);
      transport.setPeer(member.id, member.peerAddress);
    }
    // Before a joining node learns the membership, it knows the members from its options.
    if (confState.voters.length === 0) {
      for (const [id, member] of detailsByMemberId(this.parts.configured)) {
        if (id === self) continue;
        wanted.add(id);
        transport.setPeer(id, member.peerAddress);
      }
    }
    for (const id of this.peerIds) if (!wanted.has(id)) transport.removePeer(id);
    this.peerIds.clear();
    for (const id of wanted) this.peerIds.add(id);
  }
}
