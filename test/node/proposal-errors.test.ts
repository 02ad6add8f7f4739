import { afterEach, describe, expect, it } from 'vitest';
import { isNodeError } from '../../src/node/errors.js';
import { bytes, eventually, put, TestCluster } from './node-kit.js';

/** Generous for a shared 2-core machine, and far below the 30 s the requests may wait. */
const FAILED_FAST_BOUND_MS = 5_000;

const NAMES = ['n1', 'n2', 'n3'];

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const codeOf = (error: unknown): string => (isNodeError(error) ? error.code : String(error));

describe('proposal failures are named errors', () => {
  it('a member cut off from the others loses its leader and then fails writes and reads with NODE_NO_LEADER, without waiting for their timeouts', { timeout: 30_000 }, async () => {
    cluster = await TestCluster.start(NAMES);
    const leader = await cluster.waitForLeader();
    const follower = cluster.followers(leader)[0]!;
    cluster.network.isolate(follower.id);
    // The follower keeps its leader until its election timeout; with pre-vote it never wins one.
    await eventually(() => expect(follower.readiness()).toEqual({ ready: false, reason: 'no leader is known' }));
    const requestTimeoutMs = 30_000;
    const started = Date.now();
    const write = follower.write({ type: 'put', put: { key: bytes('k'), value: bytes('v') } }, { timeoutMs: requestTimeoutMs });
    const read = follower.range({ key: bytes('k') }, { timeoutMs: requestTimeoutMs });
    expect(await write.then(() => 'accepted', codeOf)).toBe('NODE_NO_LEADER');
    expect(await read.then(() => 'answered', codeOf)).toBe('NODE_NO_LEADER');
    // Refused when proposed, not at a deadline: far sooner than the 30 s the requests were given.
    expect(Date.now() - started).toBeLessThan(FAILED_FAST_BOUND_MS);
  });

  it('a write to a leader that cannot reach a quorum and keeps its term fails with NODE_TIMEOUT at its deadline', { timeout: 30_000 }, async () => {
    cluster = await TestCluster.start(NAMES);
    const leader = await cluster.waitForLeader();
    const { term } = await leader.status();
    for (const follower of cluster.followers(leader)) cluster.network.isolate(follower.id);
    const started = Date.now();
    const outcome = await leader.write({ type: 'put', put: { key: bytes('k'), value: bytes('v') } }, { timeoutMs: 1_000 }).then(() => 'accepted', codeOf);
    expect(outcome).toBe('NODE_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    // Every member is alone, and pre-vote keeps a lone member from raising its term.
    expect((await leader.status()).term).toBe(term);
  });

  it('a write pending when the term changes fails with NODE_LEADERSHIP_LOST before its deadline', { timeout: 30_000 }, async () => {
    cluster = await TestCluster.start(NAMES);
    const oldLeader = await cluster.waitForLeader();
    const { term } = await oldLeader.status();
    cluster.network.isolate(oldLeader.id);
    const pending = oldLeader.write({ type: 'put', put: { key: bytes('lost'), value: bytes('v') } }, { timeoutMs: 30_000 }).then(() => 'accepted', codeOf);
    // The other two elect a leader of a later term; the old leader hears of it once it rejoins.
    const others = cluster.followers(oldLeader);
    await eventually(async () => {
      const statuses = await Promise.all(others.map((node) => node.status()));
      expect(statuses.every((status) => status.term > term && status.leaderId !== 0 && status.leaderId !== oldLeader.id)).toBe(true);
    });
    cluster.network.rejoin(oldLeader.id);
    expect(await pending).toBe('NODE_LEADERSHIP_LOST');
    expect((await oldLeader.status()).term).toBeGreaterThan(term);
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
