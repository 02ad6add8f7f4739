import { afterEach, describe, expect, it } from 'vitest';
import { isNodeError } from '../../src/node/errors.js';
import { get, put, TestCluster } from './node-kit.js';

const NAMES = ['n1', 'n2', 'n3'];

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const codeOf = (error: unknown): string => (isNodeError(error) ? error.code : String(error));

describe('proposal failures are named errors', () => {
  it('a member cut off from the others loses its leader and then fails writes and reads fast with NODE_NO_LEADER', { timeout: 30_000 }, async () => {
    cluster = await TestCluster.start(NAMES);
    const leader = await cluster.waitForLeader();
    const follower = cluster.followers(leader)[0]!;
    cluster.network.isolate(follower.id);
    // The follower keeps its leader until its election timeout; with pre-vote it never wins one.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const started = Date.now();
    expect(await put(follower, 'k', 'v').then(() => 'accepted', codeOf)).toBe('NODE_NO_LEADER');
    expect(await get(follower, 'k').then(() => 'answered', codeOf)).toBe('NODE_NO_LEADER');
    expect(Date.now() - started).toBeLessThan(500);
    expect(follower.readiness()).toEqual({ ready: false, reason: 'no leader is known' });
  });

  it('a write whose entry cannot commit fails with NODE_TIMEOUT at its deadline', { timeout: 30_000 }, async () => {
    cluster = await TestCluster.start(NAMES);
    const leader = await cluster.waitForLeader();
    for (const follower of cluster.followers(leader)) cluster.network.isolate(follower.id);
    const outcome = await leader.write({ type: 'put', put: { key: Buffer.from('k'), value: Buffer.from('v') } }, { timeoutMs: 150 }).then(() => 'accepted', codeOf);
    // The leader steps down at its check-quorum; whichever comes first, the caller is told the write may still commit.
    expect(['NODE_TIMEOUT', 'NODE_LEADERSHIP_LOST']).toContain(outcome);
  });

  it('pending and later requests fail with NODE_STOPPED once the node is closed', { timeout: 30_000 }, async () => {
    cluster = await TestCluster.start(NAMES);
    const leader = await cluster.waitForLeader();
    const follower = cluster.followers(leader)[0]!;
    cluster.network.isolate(follower.id);
    const pending = follower.write({ type: 'put', put: { key: Buffer.from('k'), value: Buffer.from('v') } }, { timeoutMs: 20_000 }).then(() => 'accepted', codeOf);
    await cluster.stop(follower.name);
    expect(['NODE_STOPPED', 'NODE_LEADERSHIP_LOST']).toContain(await pending);
    expect(await put(follower, 'k', 'v').then(() => 'accepted', codeOf)).toBe('NODE_STOPPED');
    await follower.close();
  });
});
