// What the operator asks a member, over the member's REST API at its pod's address: the
// membership, the member's own status and readiness, and the membership calls. Each call is
// one attempt with a short deadline; the reconciler treats a member that does not answer as
// unreachable for this pass and asks again on the next.

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

export class MemberApi {
  /** `address` is host or host:port of the member's HTTP listener. */
  constructor(private readonly baseUrl: string) {}

  static at(host: string, port: number): MemberApi {
    return new MemberApi(`http://${host.includes(':') ? `[${host}]` : host}:${port}`);
  }

  membership(): Promise<Membership> {
    return this.call<Membership>('GET', '/api/v1/cluster/members');
  }

  status(): Promise<MemberSelfStatus> {
    return this.call<MemberSelfStatus>('GET', '/api/v1/admin/status');
  }

  /** Whether the member knows a leader and has applied what it knew was committed. */
  async ready(): Promise<boolean> {
    const response = await fetch(`${this.baseUrl}/readyz`, { signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
    await response.arrayBuffer();
    return response.ok;
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
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      signal: AbortSignal.timeout(timeoutMs),
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) {
      const error = parseError(text);
      throw new MemberCallError(response.status, error.code, `${method} ${path} at ${this.baseUrl}: ${response.status} ${error.code} ${error.message}`);
    }
    return JSON.parse(text) as T;
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
