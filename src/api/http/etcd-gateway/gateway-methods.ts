// Which etcd v3 call each path of the JSON gateway makes: the paths of the google.api.http
// annotations in etcd 3.4's rpc.proto (every one a POST whose body is the whole request), served
// under /v3/ and under /v3beta/, which etcd 3.4 rewrites to /v3/. AuthStatus, which etcd 3.5
// added, is served at 3.5's path. HashKV has no path of its own: etcd 3.4 annotates Hash and
// HashKV with the same path, and its gateway answers that path with Hash, the first registered.
import type { DescMethod } from '@bufbuild/protobuf';
import { etcdMethodOf } from './etcd-json.js';

export const GATEWAY_PREFIXES = ['/v3/', '/v3beta/'] as const;

export interface GatewayMethod {
  readonly descriptor: DescMethod;
  /** `/etcdserverpb.KV/Range`: the gRPC method the path calls. */
  readonly grpcPath: string;
}

const PATHS: ReadonlyArray<readonly [path: string, service: string, method: string]> = [
  ['kv/range', 'KV', 'Range'],
  ['kv/put', 'KV', 'Put'],
  ['kv/deleterange', 'KV', 'DeleteRange'],
  ['kv/txn', 'KV', 'Txn'],
  ['kv/compaction', 'KV', 'Compact'],
  ['watch', 'Watch', 'Watch'],
  ['lease/grant', 'Lease', 'LeaseGrant'],
  ['lease/revoke', 'Lease', 'LeaseRevoke'],
  ['kv/lease/revoke', 'Lease', 'LeaseRevoke'],
  ['lease/keepalive', 'Lease', 'LeaseKeepAlive'],
  ['lease/timetolive', 'Lease', 'LeaseTimeToLive'],
  ['kv/lease/timetolive', 'Lease', 'LeaseTimeToLive'],
  ['lease/leases', 'Lease', 'LeaseLeases'],
  ['kv/lease/leases', 'Lease', 'LeaseLeases'],
  ['cluster/member/add', 'Cluster', 'MemberAdd'],
  ['cluster/member/remove', 'Cluster', 'MemberRemove'],
  ['cluster/member/update', 'Cluster', 'MemberUpdate'],
  ['cluster/member/list', 'Cluster', 'MemberList'],
  ['cluster/member/promote', 'Cluster', 'MemberPromote'],
  ['maintenance/alarm', 'Maintenance', 'Alarm'],
  ['maintenance/status', 'Maintenance', 'Status'],
  ['maintenance/defragment', 'Maintenance', 'Defragment'],
  ['maintenance/hash', 'Maintenance', 'Hash'],
  ['maintenance/snapshot', 'Maintenance', 'Snapshot'],
  ['maintenance/transfer-leadership', 'Maintenance', 'MoveLeader'],
  ['auth/enable', 'Auth', 'AuthEnable'],
  ['auth/disable', 'Auth', 'AuthDisable'],
  ['auth/status', 'Auth', 'AuthStatus'],
  ['auth/authenticate', 'Auth', 'Authenticate'],
  ['auth/user/add', 'Auth', 'UserAdd'],
  ['auth/user/get', 'Auth', 'UserGet'],
  ['auth/user/list', 'Auth', 'UserList'],
  ['auth/user/delete', 'Auth', 'UserDelete'],
  ['auth/user/changepw', 'Auth', 'UserChangePassword'],
  ['auth/user/grant', 'Auth', 'UserGrantRole'],
  ['auth/user/revoke', 'Auth', 'UserRevokeRole'],
  ['auth/role/add', 'Auth', 'RoleAdd'],
  ['auth/role/get', 'Auth', 'RoleGet'],
  ['auth/role/list', 'Auth', 'RoleList'],
  ['auth/role/delete', 'Auth', 'RoleDelete'],
  ['auth/role/grant', 'Auth', 'RoleGrantPermission'],
  ['auth/role/revoke', 'Auth', 'RoleRevokePermission'],
];

const METHODS: ReadonlyMap<string, GatewayMethod> = new Map(
  PATHS.map(([path, service, method]) => {
    const descriptor = etcdMethodOf(`etcdserverpb.${service}`, method);
    return [path, { descriptor, grpcPath: `/${descriptor.parent.typeName}/${descriptor.name}` }];
  }),
);

/** The method at a path below a gateway prefix (`kv/range`); undefined for any other path. */
export function gatewayMethodAt(path: string): GatewayMethod | undefined {
  return METHODS.get(path);
}
