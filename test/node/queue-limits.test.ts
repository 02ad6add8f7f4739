// The node's bounded queues, one at a time: the proposal tracker (count, bytes, expiry in
// deadline order), its deadline heap, and the ReadIndex batcher. Each refusal names the queue,
// the limit, the value and the setting that raises it.
import { randomInt } from 'node:crypto';
import type { ApplyResult } from '../../src/mvcc/index.js';
import { describe, expect, it } from 'vitest';
import { DeadlineHeap } from '../../src/node/deadline-heap.js';
import { isNodeError, type NodeError } from '../../src/node/errors.js';
import { ProposalTracker } from '../../src/node/proposal-tracker.js';
import { ReadIndexBatcher } from '../../src/node/read-index-batcher.js';
import { resolveNodeOptions } from '../../src/node/node-options.js';
import { InMemoryNetwork } from '../../src/transport/index.js';
import { memberIdOf } from '../../src/node/identity.js';

const OK = { index: 1, outcome: 'ok', response: { type: 'compaction', compaction: { header: { revision: 1 } } } } as unknown as ApplyResult;

function thrown(action: () => unknown): NodeError {
  try {
    action();
  } catch (error) {
    if (isNodeError(error)) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

describe('the deadline heap', () => {
  it('pops items in deadline order and removes any item from the middle', () => {
    const heap = new DeadlineHeap<{ deadlineMs: number; heapIndex: number }>();
    const items = Array.from({ length: 500 }, () => ({ deadlineMs: randomInt(0, 1_000), heapIndex: -1 }));
    for (const item of items) heap.push(item);
    const removed = new Set(items.filter((_item, index) => index % 3 === 0));
    for (const item of removed) heap.remove(item);
    heap.remove(items[0]!);
    const popped: number[] = [];
    for (let item = heap.popDue(1_000); item !== undefined; item = heap.popDue(1_000)) popped.push(item.deadlineMs);
    const expected = items.filter((item) => !removed.has(item)).map((item) => item.deadlineMs);
    expect(popped).toEqual(expected.sort((a, b) => a - b));
    expect(heap.size).toBe(0);
  });

  it('pops only what is due', () => {
    const heap = new DeadlineHeap<{ deadlineMs: number; heapIndex: number }>();
    heap.push({ deadlineMs: 20, heapIndex: -1 });
    heap.push({ deadlineMs: 10, heapIndex: -1 });
    expect(heap.popDue(9)).toBeUndefined();
    expect(heap.popDue(15)?.deadlineMs).toBe(10);
    expect(heap.popDue(15)).toBeUndefined();
  });
});

describe('the proposal tracker', () => {
  it('refuses one proposal past pending-proposals-max, naming the queue, the limit and the value, and takes one again once one settles', async () => {
    const tracker = new ProposalTracker(randomInt, { pendingProposalsMax: 2, pendingProposalBytesMax: 1_000 });
    const first = tracker.track(0, 1_000, 10);
    tracker.track(0, 1_000, 10);
    const refusal = thrown(() => tracker.track(0, 1_000, 10));
    expect(refusal.code).toBe('NODE_OVERLOADED');
    expect(refusal.message).toBe('too many requests: the pending-proposal queue would hold 3 requests, over its limit of 2 (pending-proposals-max); retry after a back-off');
    tracker.settle(first.requestId, OK);
    await first.settled;
    expect(tracker.track(0, 1_000, 10).requestId).toBeGreaterThan(0);
    expect(tracker.size).toBe(2);
  });

  it('refuses past pending-proposal-bytes-max, yet always takes a proposal when none is pending', () => {
    const tracker = new ProposalTracker(randomInt, { pendingProposalsMax: 100, pendingProposalBytesMax: 100 });
    const oversized = tracker.track(0, 1_000, 500);
    expect(tracker.bytes).toBe(500);
    const refusal = thrown(() => tracker.track(0, 1_000, 1));
    expect(refusal.message).toBe('too many requests: the pending-proposal queue would hold 501 bytes, over its limit of 100 (pending-proposal-bytes-max); retry after a back-off');
    tracker.fail(oversized.requestId, new Error('gone'));
    void oversized.settled.catch(() => undefined);
    expect(tracker.bytes).toBe(0);
    tracker.track(0, 1_000, 60);
    expect(() => tracker.track(0, 1_000, 41)).toThrow('pending-proposal-bytes-max');
    tracker.track(0, 1_000, 40);
    expect(tracker.bytes).toBe(100);
  });

  it('expires proposals with different timeouts at their own deadlines, earliest first, and releases their bytes', async () => {
    const tracker = new ProposalTracker(randomInt, { pendingProposalsMax: 100, pendingProposalBytesMax: 1_000 });
    const long = tracker.track(0, 5_000, 10);
    const short = tracker.track(0, 100, 20);
    const settled = tracker.track(0, 50, 30);
    tracker.settle(settled.requestId, OK);
    await settled.settled;
    expect(tracker.expire(99)).toBe(0);
    expect(tracker.expire(100)).toBe(1);
    await expect(short.settled).rejects.toMatchObject({ code: 'NODE_TIMEOUT', message: 'no answer within 100 ms; the write may still commit' });
    expect(tracker.bytes).toBe(10);
    expect(tracker.expire(5_000)).toBe(1);
    await expect(long.settled).rejects.toMatchObject({ code: 'NODE_TIMEOUT' });
    expect(tracker.size).toBe(0);
    expect(tracker.bytes).toBe(0);
  });

  it('expiring a few of many pending proposals does not visit the rest', () => {
    const tracker = new ProposalTracker(randomInt, { pendingProposalsMax: 100_000, pendingProposalBytesMax: 1e9 });
    for (let index = 0; index < 50_000; index++) void tracker.track(0, 10_000 + index, 1).settled.catch(() => undefined);
    const started = performance.now();
    let expired = 0;
    for (let now = 10_000; now < 10_100; now++) expired += tracker.expire(now);
    const elapsedMs = performance.now() - started;
    expect(expired).toBe(100);
    // 100 ticks over 50,000 pending: a scan per tick would visit 5,000,000 records.
    expect(elapsedMs).toBeLessThan(1_000);
    tracker.failAll(new Error('stopped'));
  });
});

describe('the ReadIndex batcher', () => {
  it('refuses one read past pending-reads-max at once, and takes reads again as they are released', async () => {
    const batcher = new ReadIndexBatcher(1_000, 2, randomInt);
    const reads = [batcher.enqueue(0, 5_000), batcher.enqueue(0, 5_000)];
    await expect(batcher.enqueue(0, 5_000)).rejects.toMatchObject({
      code: 'NODE_OVERLOADED',
      message: 'too many requests: the pending-read queue would hold 3 requests, over its limit of 2 (pending-reads-max); retry after a back-off',
    });
    const contexts: Uint8Array[] = [];
    batcher.issue(0, (context) => {
      contexts.push(context);
      return null;
    });
    expect(batcher.pendingCount).toBe(2);
    batcher.confirm(contexts[0]!, 5, 5);
    await Promise.all(reads);
    expect(batcher.pendingCount).toBe(0);
    const timedOut = batcher.enqueue(0, 10);
    batcher.sweep(10);
    await expect(timedOut).rejects.toMatchObject({ code: 'NODE_TIMEOUT' });
    expect(batcher.pendingCount).toBe(0);
  });
});

describe('the queue settings of a node', () => {
  it('default to figures that let 256 clients run without refusals, and refuse zero or fractional bounds', () => {
    const base = { name: 'a', dataDir: '/tmp/a', cluster: { mode: 'new', initialMembers: [{ name: 'a', peerAddress: 'mem://a' }] }, transport: new InMemoryNetwork().createTransport(memberIdOf('a'), 'mem://a') } as const;
    expect(resolveNodeOptions(base).queueLimits).toEqual({
      pendingProposalsMax: 5_000,
      pendingProposalBytesMax: 128 * 1024 * 1024,
      pendingReadsMax: 10_000,
      peerInboxMessagesMax: 10_000,
      peerInboxBytesMax: 128 * 1024 * 1024,
      forwardedRequestsMax: 1_000,
    });
    expect(() => resolveNodeOptions({ ...base, queueLimits: { pendingReadsMax: 0, forwardedRequestsMax: 1.5 } })).toThrow(
      'queueLimits.pendingReadsMax must be a positive integer, got 0; queueLimits.forwardedRequestsMax must be a positive integer, got 1.5',
    );
  });
});
