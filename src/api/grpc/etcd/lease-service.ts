// etcd's Lease service. Keep-alives travel on a bidirectional stream: each request renews one
// lease at the leader and is answered in order; an unknown lease is answered with TTL 0 and a
// TimeToLive of an unknown lease with TTL -1, as etcd does, rather than with an error.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { LeaseService } from '../../../generated/etcd/etcdserverpb/rpc.js';
import type * as pb from '../../../generated/etcd/etcdserverpb/rpc.js';
import type { KvNode } from '../../../node/kv-node.js';
import { isMvccError } from '../../../mvcc/index.js';
import { incoming, outgoingStream } from '../call-handlers.js';
import type { ResponseHeaders } from '../response-headers.js';
import { type EtcdContext, etcdServiceError, onCallerNode, safeNumber, unary } from './etcd-call.js';
import { expect } from './kv-service.js';

export function leaseService(context: EtcdContext): pb.LeaseServer {
  const headers = context.headers;
  return {
    leaseGrant: unary(context, LeaseService.leaseGrant.path, async (node, request: pb.LeaseGrantRequest) => {
      const { leaseGrant } = expect(await node.write({ type: 'leaseGrant', leaseGrant: { ttl: safeNumber(request.TTL, 'TTL'), id: safeNumber(request.ID, 'ID') } }), 'leaseGrant');
      return { header: headers.header(leaseGrant.header.revision), ID: BigInt(leaseGrant.id), TTL: BigInt(leaseGrant.ttl), error: '' };
    }),
    leaseRevoke: unary(context, LeaseService.leaseRevoke.path, async (node, request: pb.LeaseRevokeRequest) => {
      const { leaseRevoke } = expect(await node.write({ type: 'leaseRevoke', leaseRevoke: { id: safeNumber(request.ID, 'ID') } }), 'leaseRevoke');
      return { header: headers.header(leaseRevoke.header.revision) };
    }),
    leaseKeepAlive: (stream) => onCallerNode(context, LeaseService.leaseKeepAlive.path, stream, (node) => keepAlives(node, headers, stream)),
    leaseTimeToLive: unary(context, LeaseService.leaseTimeToLive.path, async (node, request: pb.LeaseTimeToLiveRequest) => {
      try {
        const lease = await node.leaseTimeToLive(safeNumber(request.ID, 'ID'), request.keys);
        return { header: headers.header(), ID: request.ID, TTL: BigInt(lease.remainingTtl), grantedTTL: BigInt(lease.grantedTtl), keys: lease.keys };
      } catch (error) {
        if (!isMvccError(error, 'MVCC_LEASE_NOT_FOUND')) throw error;
        return { header: headers.header(), ID: request.ID, TTL: -1n, grantedTTL: 0n, keys: [] };
      }
    }),
    leaseLeases: unary(context, LeaseService.leaseLeases.path, async (node) => {
      const leases = await node.leases();
      return { header: headers.header(), leases: leases.map((lease) => ({ ID: BigInt(lease.id) })) };
    }),
  };
}

/**
 * One renewal at a time per stream, answered in request order, as etcd's server does. The next
 * request is read only once the answer is written and the stream has room again, so a client
 * that floods keep-alives is held back by HTTP/2 flow control instead of growing this server's
 * memory: what one stream holds is the one renewal and the stream's small read buffer.
 */
function keepAlives(node: KvNode, headers: ResponseHeaders, stream: ServerDuplexStream<pb.LeaseKeepAliveRequest, pb.LeaseKeepAliveResponse>): void {
  const outgoing = outgoingStream(stream);
  const answerAll = async (): Promise<void> => {
    for await (const request of incoming<pb.LeaseKeepAliveRequest>(stream)) {
      const ttlSeconds = await renew(node, request.ID);
      if (!(await outgoing.send({ header: headers.header(), ID: request.ID, TTL: BigInt(ttlSeconds) }))) return;
    }
  };
  answerAll().then(
    () => {
      if (!outgoing.signal.aborted) stream.end();
    },
    (error: unknown) => stream.emit('error', etcdServiceError(error)),
  );
}

async function renew(node: KvNode, id: bigint): Promise<number> {
  try {
    return await node.leaseKeepAlive(safeNumber(id, 'ID'));
  } catch (error) {
    if (isMvccError(error, 'MVCC_LEASE_NOT_FOUND')) return 0;
    throw error;
  }
}
