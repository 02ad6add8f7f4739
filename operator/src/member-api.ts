// What the operator asks a member, over the member's REST API at its pod's address: the
// membership, the member's own status and readiness, the membership calls, and the backup and
// restore streams. Each call is one attempt with a short deadline (the streams end when the
// caller's signal says); the reconciler treats a member that does not answer as unreachable for
// this pass and asks again on the next.

import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';

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

  /** The member's backup, a checksummed snapshot of its state, as a stream of bytes. */
  async backup(signal: AbortSignal): Promise<Readable> {
    const response = await fetch(`${this.baseUrl}/api/v1/admin/backup`, { method: 'POST', signal });
    if (!response.ok || response.body === null) throw await callError(response, 'POST /api/v1/admin/backup', this.baseUrl);
    return Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
  }

  /**
   * Replaces the whole cluster's state with a backup streamed from `body`, through Raft; answers
   * once the member applied it. A body that fails before its end restores nothing: the member
   * receives the whole backup and checks it before anything is proposed.
   */
  async restore(body: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<{ readonly restored: boolean; readonly revision: number }> {
    const response = await fetch(`${this.baseUrl}/api/v1/admin/restore`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
      duplex: 'half',
      signal,
    });
    if (!response.ok) throw await callError(response, 'POST /api/v1/admin/restore', this.baseUrl);
    return await response.json() as { restored: boolean; revision: number };
  }

  private async call<T>(method: string, path: string, body?: object, timeoutMs = CALL_TIMEOUT_MS): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      signal: AbortSignal.timeout(timeoutMs),
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!response.ok) throw await callError(response, `${method} ${path}`, this.baseUrl);
    return JSON.parse(await response.text()) as T;
  }
}

async function callError(response: Response, call: string, baseUrl: string): Promise<MemberCallError> {
  const error = parseError(await response.text().catch(() => ''));
  return new MemberCallError(response.status, error.code, `${call} at ${baseUrl}: ${response.status} ${error.code} ${error.message}`);
}

function parseError(text: string): { code: string; message: string } {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
    return { code: parsed.error?.code ?? 'UNKNOWN', message: parsed.error?.message ?? text };
  } catch {
    return { code: 'UNKNOWN', message: text.slice(0, 200) };
  }
}
