// The header of every gRPC response, native and etcd alike: the cluster, the answering member,
// the store revision, the Raft term and (for the native API) the leader. It is built from the
// node's position, which needs no I/O, because every response carries one. The cluster id
// (16 hex digits) and member ids (48 bits) convert exactly to the uint64 fields.
import type { KvNode } from '../../node/kv-node.js';

/** The parts of the node a header needs: who answers and where the node stands. */
export type HeaderSource = Pick<KvNode, 'id' | 'clusterId' | 'position'>;

export interface ResponseHeaderFields {
  readonly clusterId: bigint;
  readonly memberId: bigint;
  readonly revision: bigint;
  readonly raftTerm: bigint;
  readonly leaderId: bigint;
}

export class ResponseHeaders {
  private readonly clusterId: bigint;
  private readonly memberId: bigint;

  constructor(private readonly node: HeaderSource) {
    this.clusterId = BigInt(`0x${node.clusterId}`);
    this.memberId = BigInt(node.id);
  }

  /** A header at `revision` (the response's own) or, when omitted, at the store's current one. */
  header(revision?: number): ResponseHeaderFields {
    const position = this.node.position();
    return {
      clusterId: this.clusterId,
      memberId: this.memberId,
      revision: BigInt(revision ?? position.revision),
      raftTerm: BigInt(position.term),
      leaderId: BigInt(position.leaderId),
    };
  }
}
