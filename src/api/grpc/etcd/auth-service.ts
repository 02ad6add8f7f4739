// etcd's Auth service (etcd 3.4's calls, and 3.5's AuthStatus) over the AuthManager beneath
// the APIs (src/auth). The caller is the one the call's `token` metadata stands for, as etcd
// clients send it; who may do what is decided beneath, with etcd's codes and texts. Changes
// go through the caller's view of the node, like every other write, so the audit log has them.
import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { Credentials, NodeAccess } from '../../../access/node-access.js';
import type { AuthChange, AuthManager } from '../../../auth/auth-manager.js';
import { type Permission, PermissionType } from '../../../auth/auth-state.js';
import type { Permission as PermissionMessage } from '../../../generated/etcd/authpb/auth.js';
import type * as pb from '../../../generated/etcd/etcdserverpb/rpc.js';
import { AuthService } from '../../../generated/etcd/etcdserverpb/rpc.js';
import type { KvNode } from '../../../node/kv-node.js';
import { mvccError } from '../../../mvcc/index.js';
import { grpcCredentials } from '../grpc-caller.js';
import type { ResponseHeaders } from '../response-headers.js';
import { type EtcdContext, etcdServiceError } from './etcd-call.js';

/** What an Auth call presented, and the view of the node its changes go through. */
interface AuthCall {
  readonly credentials: Credentials;
  view(): Promise<KvNode>;
}

type Handler<Request, Response> = (request: Request, call: AuthCall) => Promise<Response>;

function unaryWithCredentials<Request, Response>(access: NodeAccess, method: string, handle: Handler<Request, Response>) {
  return (call: ServerUnaryCall<Request, Response>, callback: (error: Error | null, response?: Response) => void): void => {
    Promise.resolve()
      .then(() => {
        const credentials = grpcCredentials(call);
        return handle(call.request, { credentials, view: () => access.nodeFor({ api: 'etcd', method, source: call.getPeer() }, credentials) });
      })
      .then(
      (response) => callback(null, response),
      (error: unknown) => callback(etcdServiceError(error)),
    );
  };
}

const PERMISSION_TYPES: readonly PermissionType[] = [PermissionType.Read, PermissionType.Write, PermissionType.ReadWrite];

function permissionOf(message: PermissionMessage | undefined): Permission {
  if (message === undefined) throw mvccError('AUTH_PERMISSION_NOT_GIVEN');
  const type = PERMISSION_TYPES[message.permType];
  if (type === undefined) throw mvccError('MVCC_INVALID_ARGUMENT', { reason: `permType ${message.permType} is not READ (0), WRITE (1) or READWRITE (2)` });
  return { type, key: message.key, ...(message.rangeEnd.length === 0 ? {} : { rangeEnd: message.rangeEnd }) };
}

function refuseHashedPassword(hashedPassword: string): void {
  // etcd 3.5 clients may send a bcrypt hash; this store keeps scrypt hashes it makes itself.
  if (hashedPassword !== '') throw mvccError('MVCC_INVALID_ARGUMENT', { reason: 'hashedPassword is not supported: send the password over TLS and the server hashes it' });
}

export function authService(auth: AuthManager, context: EtcdContext): pb.AuthServer {
  const { headers } = context;
  const change = (request: AuthChange) =>
    async (call: AuthCall): Promise<{ header: ReturnType<ResponseHeaders['header']> }> => {
      await auth.change(await auth.callerOf(call.credentials), request, await call.view());
      return { header: headers.header() };
    };
  const unary = <Request, Response>(method: { readonly path: string }, handle: Handler<Request, Response>) => unaryWithCredentials(context.access, method.path, handle);
  return {
    authEnable: unary(AuthService.authEnable, (_request: pb.AuthEnableRequest, call) => change({ op: 'authEnable' })(call)),
    authDisable: unary(AuthService.authDisable, (_request: pb.AuthDisableRequest, call) => change({ op: 'authDisable' })(call)),
    authStatus: unary(AuthService.authStatus, async () => {
      const status = await auth.status();
      return { header: headers.header(), enabled: status.enabled, authRevision: BigInt(status.revision) };
    }),
    authenticate: unary(AuthService.authenticate, async (request: pb.AuthenticateRequest) => ({ header: headers.header(), token: await auth.authenticate(request.name, request.password) })),
    userAdd: unary(AuthService.userAdd, async (request: pb.AuthUserAddRequest, call) => {
      refuseHashedPassword(request.hashedPassword);
      const noPassword = request.options?.noPassword === true;
      return change({ op: 'userAdd', name: request.name, password: noPassword ? undefined : request.password })(call);
    }),
    userGet: unary(AuthService.userGet, async (request: pb.AuthUserGetRequest, call) => ({ header: headers.header(), roles: [...(await auth.userGet(await auth.callerOf(call.credentials), request.name)).roles] })),
    userList: unary(AuthService.userList, async (_request: pb.AuthUserListRequest, call) => ({ header: headers.header(), users: await auth.userList(await auth.callerOf(call.credentials)) })),
    userDelete: unary(AuthService.userDelete, (request: pb.AuthUserDeleteRequest, call) => change({ op: 'userDelete', name: request.name })(call)),
    userChangePassword: unary(AuthService.userChangePassword, async (request: pb.AuthUserChangePasswordRequest, call) => {
      refuseHashedPassword(request.hashedPassword);
      return change({ op: 'userChangePassword', name: request.name, password: request.password })(call);
    }),
    userGrantRole: unary(AuthService.userGrantRole, (request: pb.AuthUserGrantRoleRequest, call) => change({ op: 'userGrantRole', user: request.user, role: request.role })(call)),
    userRevokeRole: unary(AuthService.userRevokeRole, (request: pb.AuthUserRevokeRoleRequest, call) => change({ op: 'userRevokeRole', user: request.name, role: request.role })(call)),
    roleAdd: unary(AuthService.roleAdd, (request: pb.AuthRoleAddRequest, call) => change({ op: 'roleAdd', name: request.name })(call)),
    roleGet: unary(AuthService.roleGet, async (request: pb.AuthRoleGetRequest, call) => {
      const role = await auth.roleGet(await auth.callerOf(call.credentials), request.role);
      return { header: headers.header(), perm: role.permissions.map((permission) => ({ permType: permission.type, key: Buffer.from(permission.key), rangeEnd: Buffer.from(permission.rangeEnd ?? new Uint8Array(0)) })) };
    }),
    roleList: unary(AuthService.roleList, async (_request: pb.AuthRoleListRequest, call) => ({ header: headers.header(), roles: await auth.roleList(await auth.callerOf(call.credentials)) })),
    roleDelete: unary(AuthService.roleDelete, (request: pb.AuthRoleDeleteRequest, call) => change({ op: 'roleDelete', name: request.role })(call)),
    roleGrantPermission: unary(AuthService.roleGrantPermission, async (request: pb.AuthRoleGrantPermissionRequest, call) => change({ op: 'roleGrantPermission', name: request.name, permission: permissionOf(request.perm) })(call)),
    roleRevokePermission: unary(AuthService.roleRevokePermission, (request: pb.AuthRoleRevokePermissionRequest, call) =>
      change({ op: 'roleRevokePermission', role: request.role, key: request.key, ...(request.rangeEnd.length === 0 ? {} : { rangeEnd: request.rangeEnd }) })(call),
    ),
  };
}
