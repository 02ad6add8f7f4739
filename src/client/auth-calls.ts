// etcd's Auth service on one member as promises, for the tools that set authentication up
// through the cluster's own API (bvault dev --tls, the operator, the security benchmark), as a
// person would with etcdctl.
import { type ChannelCredentials, type ChannelOptions, Metadata, type ServiceError } from '@grpc/grpc-js';
import { AuthClient } from '../generated/etcd/etcdserverpb/rpc.js';

const CALL_TIMEOUT_MS = 10_000;
export const ROOT_USER = 'root';
const ROOT_ROLE = 'root';
/** etcd's text for the one refusal that means the user was added already (by an interrupted attempt). */
const USER_ALREADY_EXISTS = 'etcdserver: user name already exists';

type AuthMethod = 'authStatus' | 'authenticate' | 'userAdd' | 'userChangePassword' | 'userGrantRole' | 'roleAdd' | 'roleGrantPermission' | 'authEnable';
type RequestOf<Method extends AuthMethod> = Parameters<AuthClient[Method]>[0];
type ResponseOf<Method extends AuthMethod> = Parameters<Extract<Parameters<AuthClient[Method]>[3], (...args: never[]) => void>>[1];

/** etcd's Auth service on one member, each call with a deadline. */
export class AuthCalls {
  private readonly client: AuthClient;

  constructor(grpcAddress: string, channelCredentials: ChannelCredentials, options: ChannelOptions = {}) {
    this.client = new AuthClient(grpcAddress, channelCredentials, options);
  }

  call<Method extends AuthMethod>(method: Method, request: RequestOf<Method>): Promise<ResponseOf<Method>> {
    return new Promise((resolve, reject) => {
      const invoke = this.client[method].bind(this.client) as (
        request: RequestOf<Method>,
        metadata: Metadata,
        options: { deadline: number },
        callback: (error: ServiceError | null, response: ResponseOf<Method>) => void,
      ) => void;
      invoke(request, new Metadata(), { deadline: Date.now() + CALL_TIMEOUT_MS }, (error, response) => (error === null ? resolve(response) : reject(error)));
    });
  }

  close(): void {
    this.client.close();
  }
}

/**
 * Turns authentication on with `root` holding `password` and the root role, as `etcdctl user add
 * root` and `etcdctl auth enable` would, on a cluster where it is off. Each call is safe to
 * repeat, so an attempt interrupted half-way is finished by the next: a root user left by it is
 * given the password, a role granted twice is granted once.
 */
export async function enableRootAuthentication(auth: AuthCalls, password: string): Promise<void> {
  await auth.call('userAdd', { name: ROOT_USER, password, hashedPassword: '' }).catch(async (error: unknown) => {
    if ((error as ServiceError).details !== USER_ALREADY_EXISTS) throw error;
    await auth.call('userChangePassword', { name: ROOT_USER, password, hashedPassword: '' });
  });
  await auth.call('userGrantRole', { user: ROOT_USER, role: ROOT_ROLE });
  await auth.call('authEnable', {});
}
