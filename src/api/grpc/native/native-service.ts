// The native beavervault.v1.KV service over the caller's view of the node. Each call validates with the
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
import { runTransaction } from './transaction-call.js';
import { watchKeys } from './watch-call.js';

export function registerNativeService(server: Server, context: GrpcContext): void {
  server.addService(KVService, nativeService(context));
}

function nativeService(context: GrpcContext): KVServer {
  const headers = context.headers;
  const keys = new KeyCalls(context, headers);
  const leases = new LeaseCalls(context, headers);
  const cluster = new ClusterCalls(headers);
  return {
    put: unaryCall(context, KVService.put.path, (node, request) => keys.put(node, request)),
    get: unaryCall(context, KVService.get.path, (node, request) => keys.get(node, request)),
    delete: unaryCall(context, KVService.delete.path, (node, request) => keys.delete(node, request)),
    batchPut: unaryCall(context, KVService.batchPut.path, (node, request) => keys.batchPut(node, request)),
    batchGet: unaryCall(context, KVService.batchGet.path, (node, request) => keys.batchGet(node, request)),
    list: unaryCall(context, KVService.list.path, (node, request) => listKeys(context, node, request)),
    watch: serverStreamCall(context, KVService.watch.path, (node, request, stream) => watchKeys(context, node, request, stream)),
    transaction: unaryCall(context, KVService.transaction.path, (node, request) => runTransaction(context, node, request)),
    backup: serverStreamCall(context, KVService.backup.path, (node, _request, stream) => streamBackup(context, node, stream)),
    restore: clientStreamCall(context, KVService.restore.path, (node, chunks) => receiveRestore(context, node, chunks)),
    status: unaryCall(context, KVService.status.path, (node) => cluster.status(node)),
    leaseGrant: unaryCall(context, KVService.leaseGrant.path, (node, request) => leases.grant(node, request)),
    leaseRevoke: unaryCall(context, KVService.leaseRevoke.path, (node, request) => leases.revoke(node, request)),
    leaseKeepAlive: bidiStreamCall(context, KVService.leaseKeepAlive.path, (node, requests, stream) => leases.keepAlive(node, requests, stream)),
    leaseTimeToLive: unaryCall(context, KVService.leaseTimeToLive.path, (node, request) => leases.timeToLive(node, request)),
    leaseList: unaryCall(context, KVService.leaseList.path, (node) => leases.list(node)),
    memberList: unaryCall(context, KVService.memberList.path, (node) => cluster.list(node)),
    memberAdd: unaryCall(context, KVService.memberAdd.path, (node, request) => cluster.add(node, request)),
    memberRemove: unaryCall(context, KVService.memberRemove.path, (node, request) => cluster.remove(node, request)),
    memberPromote: unaryCall(context, KVService.memberPromote.path, (node, request) => cluster.promote(node, request)),
    moveLeader: unaryCall(context, KVService.moveLeader.path, (node, request) => cluster.moveLeader(node, request)),
  };
}
