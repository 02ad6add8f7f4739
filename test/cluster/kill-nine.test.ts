// kill -9 of the leader while clients write: a new leader takes over within a few seconds and
// every acknowledged write is present afterwards; the same after kill -9 of all three members
// and a restart: no acknowledged write is ever lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrentWriters, listAll, missingWrites, sleep, TestCluster } from './cluster-harness.js';

const WRITERS = 8;
/** "Within a few seconds": an election timeout is 1 to 2 s at the default 100 ms tick. */
const FAILOVER_MS_MAX = 6_000;
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 3, prefix: 'kill-nine' });
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

describe('kill -9', () => {
  it('of the leader under concurrent writers: a new leader within seconds, no acknowledged write lost', async () => {
    const writers = new ConcurrentWriters(() => cluster.members, WRITERS, 'leader-kill/');
    await sleep(1_500);
    const oldLeader = await cluster.leader();
    const acknowledgedBeforeKill = writers.acknowledged.size;
    const killedAt = Date.now();
    await oldLeader.kill();
    const newLeader = await cluster.leader(FAILOVER_MS_MAX, oldLeader);
    const failoverMs = Date.now() - killedAt;
    await sleep(1_500);
    await writers.stop();

    console.info(`failover from ${oldLeader.name} to ${newLeader.name} in ${failoverMs} ms; ${writers.acknowledged.size} writes acknowledged, ${writers.failures} failed or unanswered`);
    expect(newLeader).not.toBe(oldLeader);
    expect(failoverMs).toBeLessThan(FAILOVER_MS_MAX);
    expect(acknowledgedBeforeKill).toBeGreaterThan(0);
    expect(writers.acknowledged.size, 'writes were acknowledged after the failover').toBeGreaterThan(acknowledgedBeforeKill);
    for (const member of cluster.running()) {
      expect(missingWrites(writers.acknowledged, await listAll(member.url, 'leader-kill/')), `missing at ${member.name}`).toEqual([]);
    }
    oldLeader.start();
    await oldLeader.waitUntilReady();
    expect(missingWrites(writers.acknowledged, await listAll(oldLeader.url, 'leader-kill/')), `missing at restarted ${oldLeader.name}`).toEqual([]);
  }, 60_000);

  it('of all three members while clients write: after a restart every acknowledged write is present', async () => {
    const writers = new ConcurrentWriters(() => cluster.members, WRITERS, 'all-kill/');
    await sleep(1_500);
    await Promise.all(cluster.members.map((member) => member.kill()));
    await writers.stop();
    console.info(`${writers.acknowledged.size} writes acknowledged before every member was killed`);
    expect(writers.acknowledged.size).toBeGreaterThan(0);

    for (const member of cluster.members) member.start();
    await Promise.all(cluster.members.map((member) => member.waitUntilReady()));
    await cluster.leader();
    for (const member of cluster.members) {
      expect(missingWrites(writers.acknowledged, await listAll(member.url, 'all-kill/')), `missing at ${member.name}`).toEqual([]);
    }
  }, 60_000);
});
