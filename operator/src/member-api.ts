// What the operator asks a member, over the member's REST API at its pod's address: the
// membership, the member's own status and readiness, and the membership calls. Each call is
// one attempt with a short deadline; the reconciler treats a member that does not answer as
// unreachable for this pass and asks again on the next. Over TLS the member's certificate is
// checked against the cluster's CA bundle and the member's DNS name, though the call dials the
// pod's address.

import { requestText } from '../../src/tls/https-request.js';

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

/** How to reach a member: its pod's address, and over TLS the CA bundle and the name its certificate carries. */
export interface MemberAddress {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly caPem: string; readonly servername: string };
}

export class MemberApi {
  private readonly baseUrl: string;

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
    await this.call('POST', '/api/v1/raft/join', { NodeID: name, RaftAddress: peerAddress }, CHANGE_TIMEOUT_MS);
  }

  async promote(name: string): Promise<void> {
    await this.call('POST', `/api/v1/cluster/members/${encodeURIComponent(name)}/promote`, undefined, CHANGE_TIMEOUT_MS);
  }

  async remove(name: string): Promise<void> {
    await this.call('DELETE', `/api/v1/cluster/members/${encodeURIComponent(name)}`, undefined, CHANGE_TIMEOUT_MS);
  }

  /** Hands leadership to another voter (the most caught up); answers once another member leads. */
  async transferLeadership(): Promise<void> {
    await this.call('POST', '/api/v1/admin/transfer-leadership', {}, CHANGE_TIMEOUT_MS);
  }

  private async call<T>(method: string, path: string, body?: object, timeoutMs = CALL_TIMEOUT_MS): Promise<T> {
    const answer = await this.send(method, path, body, timeoutMs);
    if (answer.status < 200 || answer.status >= 300) {
      const error = parseError(answer.text);
      throw new MemberCallError(answer.status, error.code, `${method} ${path} at ${this.baseUrl}: ${answer.status} ${error.code} ${error.message}`);
    }
    return JSON.parse(answer.text) as T;
  }

  private send(method: string, path: string, body: object | undefined, timeoutMs: number): Promise<{ status: number; text: string }> {
    const { tls } = this.address;
    return requestText(`${this.baseUrl}${path}`, {
      method,
      timeoutMs,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      ...(tls === undefined ? {} : { tls: { ca: Buffer.from(tls.caPem) }, servername: tls.servername }),
    });
  }
}

function parseError(text: string): { code: string; message: string } {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
    return { code: parsed.error?.code ?? 'UNKNOWN', message: parsed.error?.message ?? text };
  } catch {
    return { code: 'UNKNOWN', message: text.slice(0, 200) };
  }
}
