// etcd's Auth service (etcd 3.4's calls, and 3.5's AuthStatus) over the AuthManager beneath
// the APIs (src/auth). The caller is the one the call's `token` metadata stands for, as etcd
// clients send it; who may do what is decided beneath, with etcd's codes and texts.
import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { Credentials } from '../../../access/node-access.js';
import type { AuthChange, AuthManager } from '../../../auth/auth-manager.js';
import { type Permission, PermissionType } from '../../../auth/auth-state.js';
import type { Permission as PermissionMessage } from '../../../generated/etcd/authpb/auth.js';
import type * as pb from '../../../generated/etcd/etcdserverpb/rpc.js';
import { mvccError } from '../../../mvcc/index.js';
import { grpcCredentials } from '../grpc-caller.js';
import type { ResponseHeaders } from '../response-headers.js';
import { etcdServiceError } from './etcd-call.js';

type Handler<Request, Response> = (request: Request, credentials: Credentials) => Promise<Response>;

/** The Auth calls act for the caller the credentials stand for, not on a view of the node. */
function unaryWithCredentials<Request, Response>(handle: Handler<Request, Response>) {
  return (call: ServerUnaryCall<Request, Response>, callback: (error: Error | null, response?: Response) => void): void => {
    Promise.resolve()
      .then(() => handle(call.request, grpcCredentials(call)))
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

export function authService(auth: AuthManager, headers: ResponseHeaders): pb.AuthServer {
  const change = (request: AuthChange) =>
    async (credentials: Credentials): Promise<{ header: ReturnType<ResponseHeaders['header']> }> => {
      await auth.change(await auth.callerOf(credentials), request);
      return { header: headers.header() };
    };
  return {
    authEnable: unaryWithCredentials((_request: pb.AuthEnableRequest, credentials) => change({ op: 'authEnable' })(credentials)),
    authDisable: unaryWithCredentials((_request: pb.AuthDisableRequest, credentials) => change({ op: 'authDisable' })(credentials)),
    authStatus: unaryWithCredentials(async () => {
      const status = auth.status();
      return { header: headers.header(), enabled: status.enabled, authRevision: BigInt(status.revision) };
    }),
    authenticate: unaryWithCredentials(async (request: pb.AuthenticateRequest) => ({ header: headers.header(), token: await auth.authenticate(request.name, request.password) })),
    userAdd: unaryWithCredentials(async (request: pb.AuthUserAddRequest, credentials) => {
      refuseHashedPassword(request.hashedPassword);
      const noPassword = request.options?.noPassword === true;
      return change({ op: 'userAdd', name: request.name, password: noPassword ? undefined : request.password })(credentials);
    }),
    userGet: unaryWithCredentials(async (request: pb.AuthUserGetRequest, credentials) => ({ header: headers.header(), roles: [...auth.userGet(await auth.callerOf(credentials), request.name).roles] })),
    userList: unaryWithCredentials(async (_request: pb.AuthUserListRequest, credentials) => ({ header: headers.header(), users: auth.userList(await auth.callerOf(credentials)) })),
    userDelete: unaryWithCredentials((request: pb.AuthUserDeleteRequest, credentials) => change({ op: 'userDelete', name: request.name })(credentials)),
    userChangePassword: unaryWithCredentials(async (request: pb.AuthUserChangePasswordRequest, credentials) => {
      refuseHashedPassword(request.hashedPassword);
      return change({ op: 'userChangePassword', name: request.name, password: request.password })(credentials);
    }),
    userGrantRole: unaryWithCredentials((request: pb.AuthUserGrantRoleRequest, credentials) => change({ op: 'userGrantRole', user: request.user, role: request.role })(credentials)),
    userRevokeRole: unaryWithCredentials((request: pb.AuthUserRevokeRoleRequest, credentials) => change({ op: 'userRevokeRole', user: request.name, role: request.role })(credentials)),
    roleAdd: unaryWithCredentials((request: pb.AuthRoleAddRequest, credentials) => change({ op: 'roleAdd', name: request.name })(credentials)),
    roleGet: unaryWithCredentials(async (request: pb.AuthRoleGetRequest, credentials) => {
      const role = auth.roleGet(await auth.callerOf(credentials), request.role);
      return { header: headers.header(), perm: role.permissions.map((permission) => ({ permType: permission.type, key: Buffer.from(permission.key), rangeEnd: Buffer.from(permission.rangeEnd ?? new Uint8Array(0)) })) };
    }),
    roleList: unaryWithCredentials(async (_request: pb.AuthRoleListRequest, credentials) => ({ header: headers.header(), roles: auth.roleList(await auth.callerOf(credentials)) })),
    roleDelete: unaryWithCredentials((request: pb.AuthRoleDeleteRequest, credentials) => change({ op: 'roleDelete', name: request.role })(credentials)),
    roleGrantPermission: unaryWithCredentials(async (request: pb.AuthRoleGrantPermissionRequest, credentials) => change({ op: 'roleGrantPermission', name: request.name, permission: permissionOf(request.perm) })(credentials)),
    roleRevokePermission: unaryWithCredentials((request: pb.AuthRoleRevokePermissionRequest, credentials) =>
      change({ op: 'roleRevokePermission', role: request.role, key: request.key, ...(request.rangeEnd.length === 0 ? {} : { rangeEnd: request.rangeEnd }) })(credentials),
    ),
  };
}
