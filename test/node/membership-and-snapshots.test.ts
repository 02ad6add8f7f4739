import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isNodeError } from '../../src/node/errors.js';
import type { RaftKvNode } from '../../src/node/raft-kv-node.js';
import { memberIdOf } from '../../src/node/identity.js';
import { KEYSPACE_GROUP } from '../../src/node/node-storage.js';
import { logIndex } from '../../src/raft/types.js';
import { DurableLogStore } from '../../src/storage/index.js';
import { eventually, get, put, TestCluster } from './node-kit.js';

const NAMES = ['n1', 'n2', 'n3'];
const INITIAL = NAMES.map((name) => ({ name, peerAddress: `mem://${name}` }));

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('snapshots', () => {
  it('a member that was down while the log was compacted catches up by snapshot', { timeout: 40_000 }, async () => {
    cluster = await TestCluster.start(NAMES, { snapshotEntries: 20, compactionMarginEntries: 5 });
    const leader = await cluster.waitForLeader();
    const lagging = cluster.followers(leader)[0]!.name;
    await cluster.stop(lagging);
    for (let i = 0; i < 80; i++) await put(leader, `s${i}`, `${i}`);
    const leaderStatus = await leader.status();
    // No running member's log holds the entries the stopped member is missing any more, so
    // whichever is leader when it returns (leadership may move on a loaded machine) sends a snapshot.
    await eventually(async () => {
      for (const node of cluster!.running()) {
        const snapshotFiles = (await readdir(join(cluster!.dataDirs.get(node.name)!, 'raft', 'snapshots'))).filter((name) => name.endsWith('.snap'));
        expect(snapshotFiles.length).toBeGreaterThan(0);
      }
    });
    const restarted = await cluster.restart(lagging, INITIAL);
    await eventually(async () => expect((await restarted.status()).appliedIndex).toBeGreaterThanOrEqual(leaderStatus.appliedIndex), 15_000);
    // The restore is counted once it has also loaded the members and removed the received file,
    // a moment after the applied index moved.
    await eventually(async () => {
      const restores = (await restarted.metrics.snapshotApplyDuration.get()).values.find((sample) => sample.metricName?.endsWith('_count'));
      expect(restores?.value).toBe(1);
    });
    expect(await get(restarted, 's0', 'serializable')).toBe('0');
    expect(await get(restarted, 's79', 'serializable')).toBe('79');
    expect(restarted.members().map((member) => member.name).sort()).toEqual(NAMES);
    await put(restarted, 'after-snapshot', 'yes');
    expect(await get(leader, 'after-snapshot')).toBe('yes');
  });

  it('a member whose state machine is ahead of the commit index on disk snapshots no further than Raft applied', { timeout: 30_000 }, async () => {
    // kill -9 can leave the store's applied index ahead of the hard state's commit index, written
    // a Ready later. A snapshot at the store's index would compact entries Raft still has to hand
    // out (the store skips them) after it commits them again.
    cluster = await TestCluster.start(['solo']);
    await cluster.waitForLeader();
    for (let i = 0; i < 30; i++) await put(cluster.node('solo'), `ahead${i}`, `${i}`);
    await cluster.stop('solo');
    const log = await DurableLogStore.open(cluster.dataDirs.get('solo')!, { groupId: KEYSPACE_GROUP });
    const { hardState } = log.initialState();
    await log.setHardState({ ...hardState, commit: logIndex(hardState.commit - 25) });
    await log.close();
    const failures: unknown[] = [];
    const restarted = await cluster.restart('solo', [{ name: 'solo', peerAddress: 'mem://solo' }], { snapshotEntries: 10, compactionMarginEntries: 2, onFatalError: (error) => failures.push(error) });
    await cluster.waitForLeader();
    const written = await put(restarted, 'after-restart', 'yes').catch((error: unknown) => error);
    expect(failures).toEqual([]);
    expect(written).toMatchObject({ type: 'put' });
    for (let i = 0; i < 30; i += 7) expect(await get(restarted, `ahead${i}`)).toBe(`${i}`);
    expect(await get(restarted, 'after-restart')).toBe('yes');
  });
});

describe('membership', () => {
  it('gives a member a new peer address, asked through a follower, and keeps it across a restart', { timeout: 30_000 }, async () => {
    cluster = await TestCluster.start(NAMES);
    const leader = await cluster.waitForLeader();
    const [asked, moved] = cluster.followers(leader) as [RaftKvNode, RaftKvNode];
    const addressOf = (node: RaftKvNode): string | undefined => node.members().find((member) => member.id === moved.id)?.peerAddress;
    await asked.updateMember(moved.id, 'mem://moved');
    expect(addressOf(asked)).toBe('mem://moved');
    expect(addressOf(leader)).toBe('mem://moved');
    await eventually(() => expect(addressOf(moved)).toBe('mem://moved'));
    await expect(asked.updateMember(memberIdOf('nobody'), 'mem://nobody')).rejects.toMatchObject({ code: 'NODE_UNKNOWN_MEMBER' });
    // Rebuilt from the log after a restart: no snapshot holds it yet.
    const askedName = asked.name;
    await cluster.stop(askedName);
    const restarted = await cluster.restart(askedName, INITIAL);
    expect(addressOf(restarted)).toBe('mem://moved');
  });

  it('refuses to promote a learner that never answered, even when the log is short', { timeout: 30_000 }, async () => {
    cluster = await TestCluster.start(NAMES);
    const leader = await cluster.waitForLeader();
    // A young cluster: the log is a handful of entries, well within the promotion lag.
    const added = await leader.addMember({ name: 'n4', peerAddress: 'mem://nobody-listens' });
    const refusal = await leader.promoteMember(added.id).then(() => 'promoted', (error: unknown) => (isNodeError(error) ? error.code : String(error)));
    expect(refusal).toBe('NODE_NOT_CAUGHT_UP');
    expect(leader.members().find((member) => member.id === added.id)?.isLearner).toBe(true);
  });

  it('adds a learner, refuses to promote it before it caught up, promotes it, then removes a member', { timeout: 50_000 }, async () => {
    cluster = await TestCluster.start(NAMES);
    const leader = await cluster.waitForLeader();
    for (let i = 0; i < 200; i++) await put(leader, `m${i}`, `${i}`);
    const follower = cluster.followers(leader)[0]!;
    const added = await follower.addMember({ name: 'n4', peerAddress: 'mem://n4' });
    expect(added).toMatchObject({ id: memberIdOf('n4'), name: 'n4', isLearner: true });
    // Not started yet: its log is empty, far behind the leader's.
    const early = await leader.promoteMember(added.id).then(() => 'promoted', (error: unknown) => (isNodeError(error) ? error.code : String(error)));
    expect(early).toBe('NODE_NOT_CAUGHT_UP');
    const joinInfo = { mode: 'join' as const, clusterId: leader.clusterId, members: [...INITIAL, { name: 'n4', peerAddress: 'mem://n4' }] };
    const joiner = await cluster.open('n4', joinInfo);
    // A joining node asks the leader to promote it once it has caught up.
    await eventually(() => expect(leader.members().find((member) => member.name === 'n4')?.isLearner).toBe(false), 20_000);
    expect(await get(joiner, 'm199')).toBe('199');
    const removed = cluster.followers(leader).find((node) => node.name !== 'n4')!;
    await leader.removeMember(removed.id);
    await cluster.stop(removed.name);
    expect(leader.members().map((member) => member.name).sort()).toEqual(NAMES.filter((name) => name !== removed.name).concat('n4').sort());
    await put(joiner, 'after-removal', 'carries on');
    expect(await get(leader, 'after-removal')).toBe('carries on');
  });

  it('transfers leadership to the most caught-up voter', { timeout: 30_000 }, async () => {
    cluster = await TestCluster.start(NAMES);
    const leader = await cluster.waitForLeader();
    await put(leader, 'x', '1');
    await leader.transferLeadership();
    const next = await cluster.waitForLeader();
    expect(next.id).not.toBe(leader.id);
    expect(await get(leader, 'x')).toBe('1');
  });
});
