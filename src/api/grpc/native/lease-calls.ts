// Leases: grant and revoke through Raft, keep-alive at the leader (forwarded from a follower),
// time-to-live as the leader sees it, and the list of leases.
import { isMvccError, validateRequest } from '../../../mvcc/index.js';
import type {
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseListResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
} from '../../../generated/beavervault/v1/cluster.js';
import type { KvNode } from '../../../node/kv-node.js';
import { responseOf } from '../../shared/node-responses.js';
import type { OutgoingStream } from '../call-handlers.js';
import type { GrpcContext } from '../grpc-context.js';
import { nonNegativeNumberOf } from '../wire-numbers.js';
import type { ResponseHeaders } from '../response-headers.js';

export class LeaseCalls {
  constructor(
    private readonly context: GrpcContext,
    private readonly headers: ResponseHeaders,
  ) {}

  async grant(node: KvNode, request: LeaseGrantRequest): Promise<LeaseGrantResponse> {
    const leaseGrant = { ttl: nonNegativeNumberOf(request.ttlSeconds, 'ttl_seconds'), id: nonNegativeNumberOf(request.id, 'id') };
    validateRequest({ type: 'leaseGrant', leaseGrant }, this.context.limits);
    const granted = responseOf(await node.write({ type: 'leaseGrant', leaseGrant }), 'leaseGrant').leaseGrant;
    return { header: this.headers.header(granted.header.revision), id: BigInt(granted.id), ttlSeconds: BigInt(granted.ttl) };
  }

  async revoke(node: KvNode, request: LeaseRevokeRequest): Promise<LeaseRevokeResponse> {
    const leaseRevoke = { id: nonNegativeNumberOf(request.id, 'id') };
    const revoked = responseOf(await node.write({ type: 'leaseRevoke', leaseRevoke }), 'leaseRevoke').leaseRevoke;
    return { header: this.headers.header(revoked.header.revision) };
  }

  /** One answer per request, in order; an unknown or expired lease answers TTL 0 as etcd's does. */
  async keepAlive(node: KvNode, requests: AsyncIterable<LeaseKeepAliveRequest>, stream: OutgoingStream<LeaseKeepAliveResponse>): Promise<void> {
    for await (const request of requests) {
      const id = nonNegativeNumberOf(request.id, 'id');
      const ttlSeconds = await node.leaseKeepAlive(id).catch((error: unknown) => {
        if (isMvccError(error) && error.code === 'MVCC_LEASE_NOT_FOUND') return 0;
        throw error;
      });
      if (!(await stream.send({ header: this.headers.header(), id: BigInt(id), ttlSeconds: BigInt(ttlSeconds) }))) return;
    }
  }

  async timeToLive(node: KvNode, request: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse> {
    const lease = await node.leaseTimeToLive(nonNegativeNumberOf(request.id, 'id'), request.keys);
    return {
      header: this.headers.header(),
      id: BigInt(lease.id),
      ttlSeconds: BigInt(lease.remainingTtl),
      grantedTtlSeconds: BigInt(lease.grantedTtl),
      keys: request.keys ? lease.keys : [],
    };
  }

  async list(node: KvNode): Promise<LeaseListResponse> {
    const leases = await node.leases();
    return { header: this.headers.header(), leases: leases.map((lease) => ({ id: BigInt(lease.id), grantedTtlSeconds: BigInt(lease.ttl) })) };
  }
}
