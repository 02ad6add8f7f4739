// etcd's publish: a member announces its name and client URLs (REST and gRPC) through Raft, so every member
// (and every snapshot and restart) knows where clients reach it. The node asks on its ticks;
// an announcement is made only while the replicated member table lacks this member's
// attributes, and repeated after `retryTicks` in case a leader change dropped it.

import type { NodeId } from '../raft/types.js';
import { encodeMemberContext, type MemberTable } from './member-table.js';

export interface MemberPublisherParts {
  readonly id: NodeId;
  readonly name: string;
  readonly clientUrls: readonly string[];
  readonly grpcUrls: readonly string[];
  readonly members: MemberTable;
  readonly retryTicks: number;
}

export class MemberPublisher {
  private lastAttemptTick = Number.NEGATIVE_INFINITY;

  constructor(private readonly parts: MemberPublisherParts) {}

  /** The attributes payload to propose now, or undefined when the table holds them (or an attempt is recent). */
  attributesToPublish(tick: number): Uint8Array | undefined {
    const { id, name, clientUrls, grpcUrls, members, retryTicks } = this.parts;
    const member = members.get(id);
    // Not a member yet (a joining node before it learned the membership): nothing to update.
    if (member === undefined) return undefined;
    if (member.name === name && sameList(member.clientUrls, clientUrls) && sameList(member.grpcUrls, grpcUrls)) return undefined;
    if (tick - this.lastAttemptTick < retryTicks) return undefined;
    this.lastAttemptTick = tick;
    return encodeMemberContext(new Map([[id, { name, peerAddress: member.peerAddress, clientUrls, grpcUrls }]]));
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}
