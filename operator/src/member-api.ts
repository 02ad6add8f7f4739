// What the operator asks a member, over the member's REST API at its pod's address: the
// membership, the member's own status and readiness, the membership calls, and the backup and
// restore streams. Each call is one attempt with a short deadline (the streams end when the
// caller's signal says); the reconciler treats a member that does not answer as unreachable for
// this pass and asks again on the next. Over TLS the member's certificate is checked against the
// cluster's CA bundle and the member's DNS name, though the call dials the pod's address. With
// spec.auth, the calls that need the root role are made as root once authentication is on, and
// authentication is turned on through etcd's Auth service on the member's gRPC port, as etcdctl
// would (REST has no user management).

import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { credentials } from '@grpc/grpc-js';
import { AuthCalls, enableRootAuthentication, ROOT_USER } from '../../src/client/auth-calls.js';
import { requestText } from '../../src/tls/https-request.js';
import { RootPasswordError } from './root-password.js';

const CALL_TIMEOUT_MS = 3_000;
/** Membership changes wait for the change to be applied and out of joint consensus. */
const CHANGE_TIMEOUT_MS = 15_000;

export interface RaftMember {
  readonly id: number;
  readonly name: string;
  readonly peerAddress: string;
  readonly isLearner: boolean;
}

export interface Membership {
  readonly clusterId: string;
  readonly members: readonly RaftMember[];
}

export interface MemberSelfStatus {
  readonly id: number;
  readonly name: string;
  readonly clusterId: string;
  readonly version: string;
  readonly role: string;
  readonly isLearner: boolean;
  /** 0 when the member knows no leader. */
  readonly leaderId: number;
  readonly term: number;
  readonly appliedIndex: number;
  /** The store's revision: every write up to it is applied on this member. */
  readonly revision: number;
}

/** An answer that is not 2xx, with the server's error code (e.g. NODE_NOT_CAUGHT_UP). */
export class MemberCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MemberCallError';
  }
}

/**
 * How to reach a member: its pod's address and ports, over TLS the CA bundle and the name its
 * certificate carries, and with spec.auth the root password.
 */
export interface MemberAddress {
  readonly host: string;
  readonly port: number;
  readonly grpcPort: number;
  readonly tls?: { readonly caPem: string; readonly servername: string };
  readonly rootPassword?: () => Promise<string>;
}

export class MemberApi {
  private readonly baseUrl: string;
  /** The headers of a call made as root, asked for once per MemberApi (once per pass). */
  private rootHeaders?: Promise<Record<string, string>>;

  constructor(private readonly address: MemberAddress) {
    this.baseUrl = `${address.tls === undefined ? 'http' : 'https'}://${address.host}:${address.port}`;
  }

  membership(): Promise<Membership> {
    return this.call<Membership>('GET', '/api/v1/cluster/members');
  }

  status(): Promise<MemberSelfStatus> {
    return this.call<MemberSelfStatus>('GET', '/api/v1/admin/status');
  }

  /** Whether the member knows a leader and has applied what it knew was committed. */
  async ready(): Promise<boolean> {
    const answer = await this.send('GET', '/readyz', undefined, CALL_TIMEOUT_MS);
    return answer.status === 200;
  }

  /**
   * Adds `name` as a learner (nothing, if it is a member already) and has the member that
   * serves the call invite it: the new member waits for that (wait-for-join).
   */
  async join(name: string, peerAddress: string): Promise<void> {
    await this.call('POST', '/api/v1/raft/join', { NodeID: name, RaftAddress: peerAddress }, CHANGE_TIMEOUT_MS, await this.asRoot());
  }

  async promote(name: string): Promise<void> {
    await this.call('POST', `/api/v1/cluster/members/${encodeURIComponent(name)}/promote`, undefined, CHANGE_TIMEOUT_MS, await this.asRoot());
  }

  async remove(name: string): Promise<void> {
    await this.call('DELETE', `/api/v1/cluster/members/${encodeURIComponent(name)}`, undefined, CHANGE_TIMEOUT_MS, await this.asRoot());
  }

  /** Hands leadership to another voter (the most caught up); answers once another member leads. */
  async transferLeadership(): Promise<void> {
    await this.call('POST', '/api/v1/admin/transfer-leadership', {}, CHANGE_TIMEOUT_MS, await this.asRoot());
  }

  /** Whether the cluster has authentication on; any caller may ask. */
  async authenticationEnabled(): Promise<boolean> {
    return this.withAuthService(async (auth) => (await auth.call('authStatus', {})).enabled);
  }

  /** Turns authentication on with root and spec.auth's password; each call is safe to repeat. */
  async enableAuthentication(): Promise<void> {
    const password = this.address.rootPassword;
    if (password === undefined) throw new Error('the cluster has no spec.auth: no root password to turn authentication on with');
    const rootPassword = await password();
    await this.withAuthService((auth) => enableRootAuthentication(auth, rootPassword));
  }

  /** The member's backup, a checksummed snapshot of its state, as a stream of bytes. */
  async backup(signal: AbortSignal): Promise<Readable> {
    const response = await this.stream('POST', '/api/v1/admin/backup', signal, await this.asRoot());
    if (response.statusCode !== 200) throw await streamError(response, 'POST /api/v1/admin/backup', this.baseUrl);
    return response;
  }

  /**
   * Replaces the whole cluster's state with a backup streamed from `body`, through Raft; answers
   * once the member applied it. A body that fails before its end restores nothing: the member
   * receives the whole backup and checks it before anything is proposed.
   */
  async restore(body: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<{ readonly restored: boolean; readonly revision: number }> {
    const response = await this.stream('POST', '/api/v1/admin/restore', signal, await this.asRoot(), body);
    if (response.statusCode !== 200) throw await streamError(response, 'POST /api/v1/admin/restore', this.baseUrl);
    return JSON.parse(await textOf(response)) as { restored: boolean; revision: number };
  }

  /**
   * The headers of a call that needs the root role: a token of root's once authentication is on,
   * none while it is off (any caller may make the call then).
   */
  private asRoot(): Promise<Record<string, string>> {
    const password = this.address.rootPassword;
    if (password === undefined) return Promise.resolve({});
    this.rootHeaders ??= (async (): Promise<Record<string, string>> => {
      const path = '/api/v1/auth/authenticate';
      const answer = await this.send('POST', path, { name: ROOT_USER, password: await password() }, CALL_TIMEOUT_MS);
      if (answer.status === 200) return { authorization: `Bearer ${(JSON.parse(answer.text) as { token: string }).token}` };
      const error = parseError(answer.text);
      if (error.code === 'AUTH_NOT_ENABLED') return {};
      const refusal = `the cluster refuses the root password of spec.auth.rootPasswordSecret (${answer.status} ${error.code} ${error.message} at ${this.baseUrl})`;
      // Only a refused password (and the lock-out refusals bring) needs a person; anything else
      // (a member busy or restarting) is retried.
      if (error.code === 'AUTH_FAILED' || error.code === 'AUTH_TOO_MANY_FAILED_ATTEMPTS') throw new RootPasswordError(`${refusal}; if the password was changed in the cluster, put the new one in the Secret`);
      throw new MemberCallError(answer.status, error.code, refusal);
    })();
    const headers = this.rootHeaders;
    // A refusal is not kept: the next call asks again.
    headers.catch(() => { if (this.rootHeaders === headers) this.rootHeaders = undefined; });
    return headers;
  }

  /** etcd's Auth service on the member's gRPC port, for one use. */
  private async withAuthService<T>(use: (auth: AuthCalls) => Promise<T>): Promise<T> {
    const { host, grpcPort, tls } = this.address;
    const auth = tls === undefined
      ? new AuthCalls(`${host}:${grpcPort}`, credentials.createInsecure())
      : new AuthCalls(`${host}:${grpcPort}`, credentials.createSsl(Buffer.from(tls.caPem)), { 'grpc.ssl_target_name_override': tls.servername, 'grpc.default_authority': tls.servername });
    try {
      return await use(auth);
    } finally {
      auth.close();
    }
  }

  /** A request whose body (if any) is streamed; resolves with the response as it starts. */
  private stream(method: string, path: string, signal: AbortSignal, headers: Record<string, string>, body?: AsyncIterable<Uint8Array>): Promise<IncomingMessage> {
    const { tls } = this.address;
    const options: RequestOptions & { ca?: Buffer; servername?: string } = {
      method,
      signal,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/octet-stream' }) },
      ...(tls === undefined ? {} : { ca: Buffer.from(tls.caPem), servername: tls.servername }),
    };
    const send = tls === undefined ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const outgoing = send(`${this.baseUrl}${path}`, options, resolve);
      outgoing.on('error', reject);
      if (body === undefined) outgoing.end();
      else pipeline(Readable.from(body), outgoing).catch((error: unknown) => outgoing.destroy(error as Error));
    });
  }

  private async call<T>(method: string, path: string, body?: object, timeoutMs = CALL_TIMEOUT_MS, headers: Record<string, string> = {}): Promise<T> {
    const answer = await this.send(method, path, body, timeoutMs, headers);
    if (answer.status < 200 || answer.status >= 300) {
      const error = parseError(answer.text);
      throw new MemberCallError(answer.status, error.code, `${method} ${path} at ${this.baseUrl}: ${answer.status} ${error.code} ${error.message}`);
    }
    return JSON.parse(answer.text) as T;
  }

  private send(method: string, path: string, body: object | undefined, timeoutMs: number, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    const { tls } = this.address;
    return requestText(`${this.baseUrl}${path}`, {
      method,
      timeoutMs,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(tls === undefined ? {} : { tls: { ca: Buffer.from(tls.caPem) }, servername: tls.servername }),
    });
  }
}

async function streamError(response: IncomingMessage, call: string, baseUrl: string): Promise<MemberCallError> {
  const status = response.statusCode ?? 0;
  const error = parseError(await textOf(response).catch(() => ''));
  return new MemberCallError(status, error.code, `${call} at ${baseUrl}: ${status} ${error.code} ${error.message}`);
}

async function textOf(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseError(text: string): { code: string; message: string } {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
    return { code: parsed.error?.code ?? 'UNKNOWN', message: parsed.error?.message ?? text };
  } catch {
    return { code: 'UNKNOWN', message: text.slice(0, 200) };
  }
}
