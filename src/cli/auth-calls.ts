// etcd's Auth service on one member as promises, for the tools that set authentication up
// through the cluster's own API (bvault dev --tls, the security benchmark), as an operator
// would with etcdctl.
import { type ChannelCredentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { AuthClient } from '../generated/etcd/etcdserverpb/rpc.js';

const CALL_TIMEOUT_MS = 10_000;

type AuthMethod = 'authStatus' | 'authenticate' | 'userAdd' | 'userChangePassword' | 'userGrantRole' | 'roleAdd' | 'roleGrantPermission' | 'authEnable';
type RequestOf<Method extends AuthMethod> = Parameters<AuthClient[Method]>[0];
type ResponseOf<Method extends AuthMethod> = Parameters<Extract<Parameters<AuthClient[Method]>[3], (...args: never[]) => void>>[1];

/** etcd's Auth service on one member, each call with a deadline. */
export class AuthCalls {
  private readonly client: AuthClient;

  constructor(grpcAddress: string, channelCredentials: ChannelCredentials) {
    this.client = new AuthClient(grpcAddress, channelCredentials);
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
