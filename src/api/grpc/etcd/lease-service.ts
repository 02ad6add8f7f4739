// etcd's Lease service. Keep-alives travel on a bidirectional stream: each request renews one
// lease at the leader and is answered in order; an unknown lease is answered with TTL 0 and a
// TimeToLive of an unknown lease with TTL -1, as etcd does, rather than with an error.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type * as pb from '../../../generated/etcd/etcdserverpb/rpc.js';
import type { KvNode } from '../../../node/kv-node.js';
import { isMvccError } from '../../../mvcc/index.js';
import type { ResponseHeaders } from '../response-headers.js';
import { etcdServiceError, safeNumber, unary } from './etcd-call.js';
import { expect } from './kv-service.js';

export function leaseService(node: KvNode, headers: ResponseHeaders): pb.LeaseServer {
  return {
    leaseGrant: unary(async (request: pb.LeaseGrantRequest) => {
      const { leaseGrant } = expect(await node.write({ type: 'leaseGrant', leaseGrant: { ttl: safeNumber(request.TTL, 'TTL'), id: safeNumber(request.ID, 'ID') } }), 'leaseGrant');
      return { header: headers.header(leaseGrant.header.revision), ID: BigInt(leaseGrant.id), TTL: BigInt(leaseGrant.ttl), error: '' };
    }),
    leaseRevoke: unary(async (request: pb.LeaseRevokeRequest) => {
      const { leaseRevoke } = expect(await node.write({ type: 'leaseRevoke', leaseRevoke: { id: safeNumber(request.ID, 'ID') } }), 'leaseRevoke');
      return { header: headers.header(leaseRevoke.header.revision) };
    }),
    leaseKeepAlive: (stream) => keepAlives(node, headers, stream),
    leaseTimeToLive: unary(async (request: pb.LeaseTimeToLiveRequest) => {
      try {
        const lease = await node.leaseTimeToLive(safeNumber(request.ID, 'ID'), request.keys);
        return { header: headers.header(), ID: request.ID, TTL: BigInt(lease.remainingTtl), grantedTTL: BigInt(lease.grantedTtl), keys: lease.keys };
      } catch (error) {
        if (!isMvccError(error, 'MVCC_LEASE_NOT_FOUND')) throw error;
        return { header: headers.header(), ID: request.ID, TTL: -1n, grantedTTL: 0n, keys: [] };
      }
    }),
    leaseLeases: unary(async () => {
      const leases = await node.leases();
      return { header: headers.header(), leases: leases.map((lease) => ({ ID: BigInt(lease.id) })) };
    }),
  };
}

function keepAlives(node: KvNode, headers: ResponseHeaders, stream: ServerDuplexStream<pb.LeaseKeepAliveRequest, pb.LeaseKeepAliveResponse>): void {
  // Answers go out in request order: each renewal waits for the one before it.
  let previous: Promise<void> = Promise.resolve();
  stream.on('data', (request: pb.LeaseKeepAliveRequest) => {
    previous = previous.then(async () => {
      const ttlSeconds = await renew(node, request.ID);
      if (!stream.destroyed && !stream.writableEnded) stream.write({ header: headers.header(), ID: request.ID, TTL: BigInt(ttlSeconds) });
    }).catch((error: unknown) => {
      stream.emit('error', etcdServiceError(error));
    });
  });
  stream.on('end', () => {
    void previous.then(() => stream.end());
  });
}

async function renew(node: KvNode, id: bigint): Promise<number> {
  try {
    return await node.leaseKeepAlive(safeNumber(id, 'ID'));
  } catch (error) {
    if (isMvccError(error, 'MVCC_LEASE_NOT_FOUND')) return 0;
    throw error;
  }
}
