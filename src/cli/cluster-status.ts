// Asks running members for their status over the REST API, to wait until a cluster has
// elected a leader that every member knows.

import { requestText, type ClientTlsMaterial } from '../tls/https-request.js';

interface MemberStatus {
  readonly id: number;
  readonly name: string;
  readonly leaderId: number;
}

const POLL_INTERVAL_MS = 200;
const REQUEST_TIMEOUT_MS = 1_000;

async function statusOf(httpUrl: string, tls: ClientTlsMaterial | undefined): Promise<MemberStatus | undefined> {
  try {
    const response = await requestText(`${httpUrl}/api/v1/admin/status`, { timeoutMs: REQUEST_TIMEOUT_MS, ...(tls === undefined ? {} : { tls }) });
    return response.status === 200 ? (JSON.parse(response.text) as MemberStatus) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resolves with the leader's name once every member answers and names the same leader;
 * rejects after `timeoutMs` saying which members did not.
 */
export async function waitForCommonLeader(httpUrls: readonly string[], timeoutMs: number, stopped: () => boolean, tls?: ClientTlsMaterial): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let statuses: Array<MemberStatus | undefined> = [];
  while (Date.now() < deadline && !stopped()) {
    statuses = await Promise.all(httpUrls.map((url) => statusOf(url, tls)));
    const leaderIds = new Set(statuses.map((status) => status?.leaderId ?? 0));
    const [leaderId] = leaderIds;
    const leader = statuses.find((status) => status !== undefined && status.id === leaderId);
    if (leaderIds.size === 1 && leader !== undefined) return leader.name;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  const waiting = httpUrls.filter((_url, index) => (statuses[index]?.leaderId ?? 0) === 0);
  throw new Error(`no common leader within ${timeoutMs} ms; members without a leader: ${waiting.join(', ') || 'none (they disagree)'}`);
}
