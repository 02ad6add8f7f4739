// The etcd v3 services (KV, Watch, Lease, Cluster, Maintenance) with etcd's wire contract,
// added to the node's one gRPC server next to the native service.
import type { Server } from '@grpc/grpc-js';
import { ClusterService, KVService, LeaseService, MaintenanceService, WatchService } from '../../../generated/etcd/etcdserverpb/rpc.js';
import type { KvNode } from '../../../node/kv-node.js';
import { clusterService } from './cluster-service.js';
import { ResponseHeaders } from '../response-headers.js';
import { kvService } from './kv-service.js';
import { leaseService } from './lease-service.js';
import { maintenanceService } from './maintenance-service.js';
import { watchService, type WatchServiceOptions } from './watch-service.js';

export { memberNameOf } from './cluster-service.js';
export { unwrapEtcdSnapshot } from './etcd-snapshot-framing.js';

/** etcd's default --max-request-bytes, which also bounds one fragment of a watch response. */
export const ETCD_WATCH_FRAGMENT_BYTES_MAX = 1.5 * 1024 * 1024;

/** The registrar for the node's gRPC server (src/api/grpc/grpc-server.ts's SERVICE_REGISTRARS). */
export function registerEtcdServices(server: Server, context: { readonly node: KvNode }): void {
  addEtcdServices(server, context.node);
}

export function addEtcdServices(server: Server, node: KvNode, options: WatchServiceOptions = { fragmentBytesMax: ETCD_WATCH_FRAGMENT_BYTES_MAX }): void {
  const headers = new ResponseHeaders(node);
  server.addService(KVService, kvService(node, headers));
  server.addService(WatchService, watchService(node, headers, options));
  server.addService(LeaseService, leaseService(node, headers));
  server.addService(ClusterService, clusterService(node, headers));
  server.addService(MaintenanceService, maintenanceService(node, headers));
}
