// Catching up and changing members on a running cluster: a member restarted after the log was
// compacted catches up by snapshot; a fourth member joins with --join, catches up and is
// promoted to voter; a member is removed and the cluster carries on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAll, request, TestCluster, waitFor, type ServerProcess } from './cluster-harness.js';

const SNAPSHOT_ENTRIES = 20;
let cluster: TestCluster;

beforeAll(async () => {
  // Snapshots every 20 entries with no margin, so a member away for 100 entries finds them compacted.
  cluster = await TestCluster.start({ size: 3, prefix: 'membership', extraArgs: ['--snapshot-entries', String(SNAPSHOT_ENTRIES), '--compaction-margin-entries', '0'] });
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

async function writeKeys(target: ServerProcess, prefix: string, count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    const answer = await request(target.url, 'PUT', `/api/v1/keys/${prefix}${index}`, `value-${index}`);
    expect(answer.status, answer.text).toBe(200);
  }
}

interface MemberView {
  readonly id: number | string;
  readonly name: string;
  readonly isLearner: boolean;
}

async function membersSeenBy(member: ServerProcess): Promise<MemberView[]> {
  const answer = await request(member.url, 'GET', '/api/v1/cluster/members');
  expect(answer.status, answer.text).toBe(200);
  const body = answer.json as MemberView[] | { members: MemberView[] };
  return Array.isArray(body) ? body : body.members;
}

describe('membership and catch-up', () => {
  it('a member restarted after the log was compacted catches up by snapshot', async () => {
    const leader = await cluster.leader();
    const lagging = cluster.members.find((member) => member !== leader)!;
    await lagging.kill();
    await writeKeys(leader, 'while-away/', 5 * SNAPSHOT_ENTRIES);
    const leaderStatus = await leader.status();
    lagging.start();
    await lagging.waitUntilReady();
    await waitFor(`${lagging.name} to apply the leader's commit index`, 20_000, async () =>
      (await lagging.status()).appliedIndex >= leaderStatus.commitIndex ? true : undefined,
    );
    const held = await listAll(lagging.url, 'while-away/', 'serializable');
    expect(held.size).toBe(5 * SNAPSHOT_ENTRIES);
    expect(held.get('while-away/99')).toBe('value-99');
    // The entries it missed were compacted away at the leader: this process applied a snapshot.
    const metrics = (await request(lagging.url, 'GET', '/metrics')).text;
    const applied = /^bvault_snapshot_apply_duration_seconds_count(?:\{[^}]*\})? (\d+)/m.exec(metrics);
    expect(Number(applied?.[1] ?? 0), 'snapshots applied by the restarted member').toBeGreaterThan(0);
  }, 60_000);

  it('a fourth member joins with --join, catches up and is promoted to voter', async () => {
    const follower = cluster.members.find((member) => member.running)!;
    const fourth = await cluster.addJoiningMember('n4', follower);
    await fourth.waitUntilReady(40_000);
    await waitFor('n4 to be promoted to voter', 30_000, async () => {
      const members = await membersSeenBy(follower);
      const joined = members.find((member) => member.name === 'n4');
      return joined !== undefined && !joined.isLearner ? true : undefined;
    });
    expect((await fourth.status()).isLearner).toBe(false);
    const leader = await cluster.leader();
    expect((await request(leader.url, 'PUT', '/api/v1/keys/after-join', 'seen by n4')).status).toBe(200);
    expect((await request(fourth.url, 'GET', '/api/v1/keys/after-join')).text).toBe('seen by n4');
    expect((await listAll(fourth.url, 'while-away/')).size).toBe(5 * SNAPSHOT_ENTRIES);
    // Restarted with the same flags, it finds its identity and rejoins instead of asking again.
    expect(await fourth.terminate()).toEqual({ code: 0, signal: null });
    fourth.start();
    await fourth.waitUntilReady();
    expect((await request(fourth.url, 'GET', '/api/v1/keys/after-join')).text).toBe('seen by n4');
    expect((await membersSeenBy(leader)).filter((member) => member.name === 'n4')).toHaveLength(1);
  }, 90_000);

  it('a removed member leaves and the cluster carries on', async () => {
    const leader = await cluster.leader();
    const removed = cluster.members.find((member) => member !== leader && member.running)!;
    const removedView = (await membersSeenBy(leader)).find((member) => member.name === removed.name)!;
    const answer = await request(leader.url, 'DELETE', `/api/v1/cluster/members/${removedView.id}`);
    expect(answer.status, answer.text).toBeLessThan(300);
    await waitFor(`${removed.name} to leave the member list`, 10_000, async () =>
      (await membersSeenBy(leader)).some((member) => member.name === removed.name) ? undefined : true,
    );
    await removed.kill();
    const remaining = cluster.running();
    expect(remaining).toHaveLength(3);
    expect((await request(remaining[0]!.url, 'PUT', '/api/v1/keys/after-removal', 'carried on')).status).toBe(200);
    for (const member of remaining) expect((await request(member.url, 'GET', '/api/v1/keys/after-removal')).text).toBe('carried on');
  }, 60_000);
});
