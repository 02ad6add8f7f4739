// Leases expire within their TTL plus one second and their keys are deleted on every member;
// a lease keeps its remaining TTL across a change of leader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, sleep, TestCluster, waitFor, type ServerProcess } from './cluster-harness.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 3, prefix: 'leases' });
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

async function grant(member: ServerProcess, ttlSeconds: number): Promise<number> {
  const answer = await request(member.url, 'POST', '/api/v1/leases', { ttl: ttlSeconds });
  expect(answer.status, answer.text).toBe(201);
  return Number((answer.json as { id: number | string }).id);
}

async function remainingTtl(member: ServerProcess, lease: number): Promise<number> {
  const answer = await request(member.url, 'GET', `/api/v1/leases/${lease}`);
  expect(answer.status, answer.text).toBe(200);
  // `ttl` is the remaining TTL; `grantedTtl` the one it was granted with.
  return (answer.json as { ttl: number }).ttl;
}

/** Milliseconds from `since` until `key` is gone on every member. */
async function deletedEverywhereAfter(key: string, since: number, timeoutMs: number): Promise<number> {
  await waitFor(`${key} to be deleted on every member`, timeoutMs, async () => {
    const answers = await Promise.all(cluster.members.map((member) => request(member.url, 'GET', `/api/v1/keys/${key}?consistency=serializable`)));
    return answers.every((answer) => answer.status === 404) ? true : undefined;
  });
  return Date.now() - since;
}

describe('leases', () => {
  it('expire within their TTL plus one second, deleting their keys on every member', async () => {
    const leader = await cluster.leader();
    const follower = cluster.members.find((member) => member !== leader)!;
    const grantedAt = Date.now();
    const lease = await grant(follower, 2);
    expect((await request(follower.url, 'PUT', `/api/v1/keys/expiring?lease=${lease}`, 'soon gone')).status).toBe(200);
    expect((await request(leader.url, 'GET', '/api/v1/keys/expiring')).text).toBe('soon gone');
    const elapsedMs = await deletedEverywhereAfter('expiring', grantedAt, 10_000);
    expect(elapsedMs).toBeGreaterThanOrEqual(1_900);
    expect(elapsedMs).toBeLessThanOrEqual(3_000);
    expect((await request(leader.url, 'GET', `/api/v1/leases/${lease}`)).status).toBe(404);
  }, 30_000);

  it('keep their remaining TTL across a change of leader', async () => {
    const oldLeader = await cluster.leader();
    const grantedAt = Date.now();
    const lease = await grant(oldLeader, 10);
    expect((await request(oldLeader.url, 'PUT', `/api/v1/keys/survivor?lease=${lease}`, 'v')).status).toBe(200);
    await sleep(4_000);
    const transfer = await request(oldLeader.url, 'POST', '/api/v1/admin/transfer-leadership', {});
    expect(transfer.status, transfer.text).toBeLessThan(300);
    const newLeader = await cluster.leader(10_000, oldLeader);
    const elapsedSeconds = (Date.now() - grantedAt) / 1000;
    const remaining = await remainingTtl(newLeader, lease);
    // A new leader that restarted the lease would report the full 10 s or more (plus its
    // election-timeout extension). Resuming from the last checkpoint (at most 1 s old) it
    // reports what was left, plus that extension (1 s at the default tick) and rounding up.
    console.info(`remaining TTL ${remaining} s after ${elapsedSeconds.toFixed(1)} s of a 10 s lease and a leader change`);
    expect(remaining).toBeLessThan(10);
    expect(remaining).toBeLessThanOrEqual(10 - elapsedSeconds + 3);
    expect(remaining).toBeGreaterThan(0);
    // Its TTL plus one second, plus the new leader's extension (1 s) and the checkpoint's age (<= 1 s).
    const expiredAfterMs = await deletedEverywhereAfter('survivor', grantedAt, 16_000);
    expect(expiredAfterMs).toBeLessThanOrEqual(13_000);
  }, 40_000);
});
