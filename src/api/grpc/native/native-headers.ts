// The header of every native response: cluster, serving member, store revision, Raft term and
// leader. The cluster id (16 hex digits) and member ids (48 bits) convert exactly to uint64.
import type { KvNode } from '../../../node/kv-node.js';
import type { ResponseHeader } from '../../../generated/beavervault/v1/types.js';

export class NativeHeaders {
  private readonly clusterId: bigint;
  private readonly memberId: bigint;

  constructor(private readonly node: KvNode) {
    this.clusterId = BigInt(`0x${node.clusterId}`);
    this.memberId = BigInt(node.id);
  }

  /** A header at `revision` (the response's own) or, when omitted, at the store's current one. */
  async header(revision?: number): Promise<ResponseHeader> {
    const status = await this.node.status();
    return {
      clusterId: this.clusterId,
      memberId: this.memberId,
      revision: BigInt(revision ?? status.revision),
      raftTerm: BigInt(status.term),
      leaderId: BigInt(status.leaderId),
    };
  }
}
