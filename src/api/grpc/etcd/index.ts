// The etcd v3 services (KV, Watch, Lease, Cluster, Maintenance) with etcd's wire contract,
// added to the node's one gRPC server next to the native service.
import type { Server } from '@grpc/grpc-js';
import type { AuthManager } from '../../../auth/auth-manager.js';
import { AuthService, ClusterService, KVService, LeaseService, MaintenanceService, WatchService } from '../../../generated/etcd/etcdserverpb/rpc.js';
import { authService } from './auth-service.js';
import { clusterService } from './cluster-service.js';
import type { EtcdContext } from './etcd-call.js';
import { kvService } from './kv-service.js';
import { leaseService } from './lease-service.js';
import { maintenanceService } from './maintenance-service.js';
import { watchService, type WatchServiceOptions } from './watch-service.js';

export { memberNameOf } from './cluster-service.js';
export { unwrapEtcdSnapshot } from './etcd-snapshot-framing.js';

/** etcd's default --max-request-bytes, which also bounds one fragment of a watch response. */
export const ETCD_WATCH_FRAGMENT_BYTES_MAX = 1.5 * 1024 * 1024;

/** The registrar for the node's gRPC server (src/api/grpc/grpc-server.ts's SERVICE_REGISTRARS). */
export function registerEtcdServices(server: Server, context: EtcdContext & { readonly auth?: AuthManager }): void {
  addEtcdServices(server, context);
  if (context.auth !== undefined) server.addService(AuthService, authService(context.auth, context));
}

export function addEtcdServices(server: Server, context: EtcdContext, options: WatchServiceOptions = { fragmentBytesMax: ETCD_WATCH_FRAGMENT_BYTES_MAX }): void {
  server.addService(KVService, kvService(context));
  server.addService(WatchService, watchService(context, options));
  server.addService(LeaseService, leaseService(context));
  server.addService(ClusterService, clusterService(context));
  server.addService(MaintenanceService, maintenanceService(context));
}
