// The native beavervault.v1.KV service over the KvNode facade. Each call validates with the
// state machine's limits before proposing, answers with a header, and fails with the shared
// registry's status and the stable code in the bvault-error-code trailer. Latency is recorded
// by the full method path (/beavervault.v1.KV/Put).
import type { Server } from '@grpc/grpc-js';
import { KVService, type KVServer } from '../../../generated/beavervault/v1/kv.js';
import { bidiStreamCall, clientStreamCall, serverStreamCall, unaryCall } from '../call-handlers.js';
import type { GrpcContext } from '../grpc-context.js';
import { receiveRestore, streamBackup } from './backup-calls.js';
import { ClusterCalls } from './cluster-calls.js';
import { KeyCalls } from './key-calls.js';
import { LeaseCalls } from './lease-calls.js';
import { listKeys } from './list-call.js';
import { ResponseHeaders } from '../response-headers.js';
import { runTransaction } from './transaction-call.js';
import { watchKeys } from './watch-call.js';

export function registerNativeService(server: Server, context: GrpcContext): void {
  server.addService(KVService, nativeService(context));
}

function nativeService(context: GrpcContext): KVServer {
  const headers = new ResponseHeaders(context.node);
  const keys = new KeyCalls(context, headers);
  const leases = new LeaseCalls(context, headers);
  const cluster = new ClusterCalls(context, headers);
  return {
    put: unaryCall(context, KVService.put.path, (request) => keys.put(request)),
    get: unaryCall(context, KVService.get.path, (request) => keys.get(request)),
    delete: unaryCall(context, KVService.delete.path, (request) => keys.delete(request)),
    batchPut: unaryCall(context, KVService.batchPut.path, (request) => keys.batchPut(request)),
    batchGet: unaryCall(context, KVService.batchGet.path, (request) => keys.batchGet(request)),
    list: unaryCall(context, KVService.list.path, (request) => listKeys(context, headers, request)),
    watch: serverStreamCall(context, KVService.watch.path, (request, stream) => watchKeys(context, headers, request, stream)),
    transaction: unaryCall(context, KVService.transaction.path, (request) => runTransaction(context, headers, request)),
    backup: serverStreamCall(context, KVService.backup.path, (request, stream) => streamBackup(context, request, stream)),
    restore: clientStreamCall(context, KVService.restore.path, (chunks) => receiveRestore(context, headers, chunks)),
    status: unaryCall(context, KVService.status.path, () => cluster.status()),
    leaseGrant: unaryCall(context, KVService.leaseGrant.path, (request) => leases.grant(request)),
    leaseRevoke: unaryCall(context, KVService.leaseRevoke.path, (request) => leases.revoke(request)),
    leaseKeepAlive: bidiStreamCall(context, KVService.leaseKeepAlive.path, (requests, stream) => leases.keepAlive(requests, stream)),
    leaseTimeToLive: unaryCall(context, KVService.leaseTimeToLive.path, (request) => leases.timeToLive(request)),
    leaseList: unaryCall(context, KVService.leaseList.path, () => leases.list()),
    memberList: unaryCall(context, KVService.memberList.path, () => cluster.list()),
    memberAdd: unaryCall(context, KVService.memberAdd.path, (request) => cluster.add(request)),
    memberRemove: unaryCall(context, KVService.memberRemove.path, (request) => cluster.remove(request)),
    memberPromote: unaryCall(context, KVService.memberPromote.path, (request) => cluster.promote(request)),
    moveLeader: unaryCall(context, KVService.moveLeader.path, (request) => cluster.moveLeader(request)),
    rotateEncryptionKey: unaryCall(context, KVService.rotateEncryptionKey.path, () => cluster.rotateEncryptionKey()),
  };
}
