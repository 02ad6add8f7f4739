// How a new member enters a running cluster (`bvault server --join URL`): it asks a running
// member to add it as a learner and takes the cluster id and the member list from the answer.
// The node then starts empty, learns the rest from the leader's log or snapshot, and asks to be
// promoted once it has caught up.

import { requestText, type ClientTlsMaterial } from '../tls/https-request.js';

export interface JoinedCluster {
  readonly clusterId: string;
  readonly members: ReadonlyArray<{ readonly name: string; readonly peerAddress: string; readonly clientUrls?: readonly string[] }>;
}

export interface JoinRequest {
  readonly joinUrl: string;
  readonly name: string;
  readonly peerAddress: string;
  readonly clientUrls: readonly string[];
  /** For an https:// joinUrl: the CA that signed the member's certificate, and this member's own for client-cert-auth. */
  readonly tls?: ClientTlsMaterial;
}

export class JoinError extends Error {
  override readonly name = 'JoinError';
}

const ATTEMPT_TIMEOUT_MS = 5_000;
const RETRY_DELAY_MS = 500;
/** A cluster between leaders answers 503 for an election or two; longer than that is a failure. */
const RETRY_WINDOW_MS = 30_000;
const RETRIED_STATUSES = new Set([502, 503, 504]);

/** Adds this member as a learner through `joinUrl`; retries while the cluster has no leader or is busy. */
export async function requestJoin(request: JoinRequest): Promise<JoinedCluster> {
  const deadline = Date.now() + RETRY_WINDOW_MS;
  const body = JSON.stringify({ name: request.name, peerAddress: request.peerAddress, clientUrls: request.clientUrls, learner: true });
  for (;;) {
    let reason: string;
    try {
      const response = await requestText(new URL('/api/v1/cluster/members', request.joinUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        timeoutMs: ATTEMPT_TIMEOUT_MS,
        ...(request.tls === undefined ? {} : { tls: request.tls }),
      });
      const answer = jsonOf(response.text) as Partial<JoinedCluster> & { error?: { code?: string; message?: string } };
      if (response.status >= 200 && response.status < 300) return joinedClusterOf(answer, request.joinUrl);
      reason = `${response.status} ${answer.error?.code ?? ''} ${answer.error?.message ?? ''}`.trim();
      // Retry-After marks a passing condition, e.g. another membership change still in progress.
      const passing = RETRIED_STATUSES.has(response.status) || response.headers['retry-after'] !== undefined;
      if (!passing) throw new JoinError(`${request.joinUrl} refused to add ${request.name}: ${reason}`);
    } catch (error) {
      if (error instanceof JoinError) throw error;
      reason = (error as Error).message;
    }
    if (Date.now() + RETRY_DELAY_MS > deadline) {
      throw new JoinError(`could not join through ${request.joinUrl} within ${RETRY_WINDOW_MS / 1000} s: ${reason}; is a member of the cluster listening there?`);
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
  }
}

function joinedClusterOf(answer: Partial<JoinedCluster>, joinUrl: string): JoinedCluster {
  if (typeof answer.clusterId !== 'string' || !Array.isArray(answer.members)) {
    throw new JoinError(`${joinUrl} answered the join without a clusterId and members; is it a Beaver-Vault member?`);
  }
  return { clusterId: answer.clusterId, members: answer.members };
}

/**
 * Removes the member `requestJoin` added, for a node that could not start after its join: a
 * learner that never runs would stay in the member list for good. A member already gone is fine.
 */
export async function withdrawJoin(request: Pick<JoinRequest, 'joinUrl' | 'name' | 'tls'>): Promise<void> {
  const response = await requestText(new URL(`/api/v1/cluster/members/${encodeURIComponent(request.name)}`, request.joinUrl), {
    method: 'DELETE',
    timeoutMs: ATTEMPT_TIMEOUT_MS,
    ...(request.tls === undefined ? {} : { tls: request.tls }),
  });
  if ((response.status < 200 || response.status >= 300) && response.status !== 404) {
    throw new JoinError(`${request.joinUrl} did not remove ${request.name} again: ${response.status} ${response.text}`);
  }
}

function jsonOf(text: string): unknown {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}
