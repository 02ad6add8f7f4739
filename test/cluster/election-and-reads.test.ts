// A cluster started with the CLI elects a leader, and a write sent to any member is readable
// linearizably from every member.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, TestCluster } from './cluster-harness.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 3, prefix: 'election' });
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

describe('a three-member cluster started with bvault server', () => {
  it('elects one leader that every member knows', async () => {
    const leader = await cluster.leader();
    const statuses = await Promise.all(cluster.members.map((member) => member.status()));
    expect(statuses.filter((status) => status.role === 'leader').map((status) => status.name)).toEqual([leader.name]);
    expect(new Set(statuses.map((status) => status.clusterId)).size).toBe(1);
    expect(statuses.every((status) => status.leaderId === statuses.find((s) => s.role === 'leader')?.id)).toBe(true);
  });

  it('serves a write sent to any member linearizably from every member', async () => {
    for (const writer of cluster.members) {
      const key = `written-through-${writer.name}`;
      const put = await request(writer.url, 'PUT', `/api/v1/keys/${key}`, `value from ${writer.name}`, { 'content-type': 'text/plain' });
      expect(put.status, put.text).toBe(200);
      // Read at once from every member, the leader and both followers: no member may miss it.
      for (const reader of cluster.members) {
        const get = await request(reader.url, 'GET', `/api/v1/keys/${key}?consistency=linearizable`);
        expect(get.status, `${reader.name} reading ${key}: ${get.text}`).toBe(200);
        expect(get.text).toBe(`value from ${writer.name}`);
      }
    }
  });

  it('answers the seed\'s /api/v1/kv form on every member', async () => {
    const [first, second] = cluster.members;
    const put = await request(first!.url, 'PUT', '/api/v1/kv/mykey', '"myvalue"');
    expect(put.status, put.text).toBe(200);
    const get = await request(second!.url, 'GET', '/api/v1/kv/mykey');
    expect(get.status).toBe(200);
    expect(get.text).toBe('"myvalue"');
  });
});

describe('SIGTERM', () => {
  it('makes a leader hand over leadership before it exits with code 0', async () => {
    const leader = await cluster.leader();
    const { id: leaderId } = await leader.status();
    const exit = await leader.terminate();
    expect(exit, leader.log).toEqual({ code: 0, signal: null });
    // Without a handover the followers would still name the old leader for an election
    // timeout (1 s or more) after it exited; with one, they already follow its successor.
    const statuses = await Promise.all(cluster.running().map((member) => member.status()));
    for (const status of statuses) expect(status.leaderId, `${status.name} right after the leader exited`).not.toBe(leaderId);
    expect(statuses.every((status) => status.leaderId !== 0)).toBe(true);
    const successor = await cluster.leader(5_000);
    expect(successor).not.toBe(leader);
  }, 40_000);
});
