// The client's token when it was given a user: it authenticates once (etcd's Auth service on the
// same gRPC port), sends the token as `token` metadata with every call, as etcd clients do, and
// authenticates again when the server says the token no longer holds (expired, forgotten by a
// restarted member, or a JWT older than the last auth change). The call that met the stale token
// is then retried by the call runner with the new one.
import { type ChannelCredentials, InterceptingCall, type Interceptor, Metadata, type StatusObject } from '@grpc/grpc-js';
import { AuthClient } from '../generated/etcd/etcdserverpb/rpc.js';
import { BeaverVaultError } from './client-errors.js';

/**
 * Server codes after which a new token may succeed (the error registry's, in the native
 * trailer); AUTH_USER_EMPTY when the call went without a token because auth was off then.
 */
export const TOKEN_RENEWAL_CODES: ReadonlySet<string> = new Set(['AUTH_INVALID_TOKEN', 'AUTH_OLD_REVISION', 'AUTH_USER_EMPTY']);
/** etcd's text: a client given a user works without a token against a cluster without auth, as etcd's clientv3 does. */
const AUTH_NOT_ENABLED = 'etcdserver: authentication is not enabled';
const ERROR_CODE_TRAILER = 'bvault-error-code';

export interface ClientUser {
  readonly name: string;
  readonly password: string;
}

export class TokenSource {
  /** Resolves to undefined while the cluster has authentication off. */
  private token: Promise<string | undefined> | undefined;
  private readonly authClients = new Map<string, AuthClient>();

  constructor(
    private readonly user: ClientUser,
    private readonly timeoutMs: number,
    /** The same as the client's other calls: plaintext or TLS. */
    private readonly credentials: ChannelCredentials,
  ) {}

  /** Adds the token to every call on `endpoint`, and forgets a token the server refused. */
  interceptor(endpoint: string): Interceptor {
    return (options, nextCall) =>
      new InterceptingCall(nextCall(options), {
        start: (metadata, listener, next) => {
          this.current(endpoint).then(
            (token) => {
              if (token !== undefined) metadata.set('token', token);
              next(metadata, {
                onReceiveStatus: (status: StatusObject, nextStatus: (status: StatusObject) => void) => {
                  if (TOKEN_RENEWAL_CODES.has(status.metadata.get(ERROR_CODE_TRAILER)[0]?.toString() ?? '')) this.forget(token);
                  nextStatus(status);
                },
              });
            },
            (error: unknown) => listener.onReceiveStatus(authenticationFailure(error)),
          );
        },
      });
  }

  close(): void {
    for (const client of this.authClients.values()) client.close();
    this.authClients.clear();
  }

  private current(endpoint: string): Promise<string | undefined> {
    if (this.token === undefined) {
      const token = this.authenticate(endpoint);
      this.token = token;
      // A failed authentication is not kept: the next call tries again.
      token.catch(() => {
        if (this.token === token) this.token = undefined;
      });
    }
    return this.token;
  }

  private forget(token: string | undefined): void {
    void this.token?.then((current) => {
      if (current === token) this.token = undefined;
    });
  }

  private authenticate(endpoint: string): Promise<string | undefined> {
    let client = this.authClients.get(endpoint);
    if (client === undefined) {
      client = new AuthClient(endpoint, this.credentials);
      this.authClients.set(endpoint, client);
    }
    const authClient = client;
    return new Promise((resolve, reject) => {
      authClient.authenticate({ name: this.user.name, password: this.user.password }, new Metadata(), { deadline: Date.now() + this.timeoutMs }, (error, response) =>
        error === null ? resolve(response.token) : error.details === AUTH_NOT_ENABLED ? resolve(undefined) : reject(error),
      );
    });
  }
}

/** A failed Authenticate ends the call with the server's status (a wrong password is not retried). */
function authenticationFailure(error: unknown): StatusObject {
  const failure = error as Partial<{ code: number; details: string; metadata: Metadata }>;
  if (typeof failure.code === 'number') return { code: failure.code, details: failure.details ?? 'authentication failed', metadata: failure.metadata ?? new Metadata() };
  throw new BeaverVaultError({ code: 'CLIENT_INTERNAL', message: `authenticating failed: ${String(error)}`, retryable: false, mayHaveCommitted: false });
}
