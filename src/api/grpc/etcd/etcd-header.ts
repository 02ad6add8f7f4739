// Every etcd response carries a header naming the cluster, the answering member, the store
// revision and the Raft term, as etcd fills them. Our ids are narrower than etcd's uint64
// fields (48-bit member ids, a 16-hex-digit cluster id), so they convert exactly to bigint.
import type { KvNode } from '../../../node/kv-node.js';
import type { ResponseHeader } from '../../../generated/etcd/etcdserverpb/rpc.js';

export class EtcdHeaders {
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
    };
  }
}
