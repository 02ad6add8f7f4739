import { describe, expect, it, vi } from 'vitest';
import { randomInt } from 'node:crypto';
import { decodeEnvelope, encodeEnvelope, EntryKind, isTracedEnvelope } from '../../src/node/entry-envelope.js';
import { decodeSpanContext, encodeSpanContext, type Span } from '../../src/observability/spans.js';
import { clusterIdOf, memberIdOf } from '../../src/node/identity.js';
import { encodeMemberContext, MemberTable } from '../../src/node/member-table.js';
import { ProposalTracker } from '../../src/node/proposal-tracker.js';
import { ReadIndexBatcher } from '../../src/node/read-index-batcher.js';
import { SnapshotPolicy, type LogFootprint } from '../../src/node/snapshot-policy.js';
import { ConfChangeTransition, ConfChangeType, EMPTY_BYTES, EMPTY_CONF_STATE, nodeId } from '../../src/raft/types.js';

const BOUNDS = { pendingProposalsMax: 100, pendingProposalBytesMax: 1_000_000 };

describe('identity', () => {
  it('derives a stable, non-zero 48-bit member id from the name', () => {
    expect(memberIdOf('n1')).toBe(memberIdOf('n1'));
    expect(memberIdOf('n1')).not.toBe(memberIdOf('n2'));
    expect(memberIdOf('n1')).toBeGreaterThan(0);
    expect(memberIdOf('n1')).toBeLessThan(2 ** 48);
  });

  it('derives the cluster id from the initial members in any order, and a different list gives another id', () => {
    const one = clusterIdOf(new Map([['a', 'h:1'], ['b', 'h:2']]));
    expect(one).toMatch(/^[0-9a-f]{16}$/);
    expect(clusterIdOf(new Map([['b', 'h:2'], ['a', 'h:1']]))).toBe(one);
    expect(clusterIdOf(new Map([['a', 'h:1'], ['b', 'h:3']]))).not.toBe(one);
  });
});

describe('the entry envelope', () => {
  it('carries the origin, the request id and the request bytes unchanged', () => {
    const request = Uint8Array.from([1, 2, 3, 250]);
    const envelope = decodeEnvelope(encodeEnvelope(memberIdOf('n1'), 1_700_000_000_000_123, request));
    expect(envelope.originId).toBe(memberIdOf('n1'));
    expect(envelope.requestId).toBe(1_700_000_000_000_123);
    expect([...envelope.payload]).toEqual([1, 2, 3, 250]);
    expect(envelope.kind).toBe(EntryKind.MvccRequest);
    expect(envelope.traceContext).toBeUndefined();
    expect(isTracedEnvelope(encodeEnvelope(memberIdOf('n1'), 1, request))).toBe(false);
  });

  it('carries a traced write\'s span context, which decodes to the same trace and span', () => {
    const span = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true };
    const spanContext = encodeSpanContext({ spanContext: () => span } as unknown as Span);
    const bytes = encodeEnvelope(memberIdOf('n1'), 7, Uint8Array.from([9]), EntryKind.MvccRequest, spanContext);
    expect(isTracedEnvelope(bytes)).toBe(true);
    const envelope = decodeEnvelope(bytes);
    expect(envelope.kind).toBe(EntryKind.MvccRequest);
    expect(envelope.requestId).toBe(7);
    expect([...envelope.payload]).toEqual([9]);
    expect(decodeSpanContext(envelope.traceContext!)).toEqual(span);
  });
});

describe('the member table', () => {
  it('takes details from the ConfChange context, survives encoding, and forgets removed members', () => {
    const bootstrap = new Map([[nodeId(1), { name: 'a', peerAddress: 'h:1', clientUrls: [], grpcUrls: [] }]]);
    const table = new MemberTable(bootstrap);
    table.applyConfChange({ transition: ConfChangeTransition.Auto, changes: [{ type: ConfChangeType.AddNode, nodeId: nodeId(1) }], context: EMPTY_BYTES });
    const joiner = new Map([[nodeId(2), { name: 'b', peerAddress: 'h:2', clientUrls: ['http://h:8000'], grpcUrls: ['http://h:9090'] }]]);
    table.applyConfChange({ transition: ConfChangeTransition.Auto, changes: [{ type: ConfChangeType.AddLearnerNode, nodeId: nodeId(2) }], context: encodeMemberContext(joiner) });
    const copy = new MemberTable(new Map());
    copy.load(table.encode());
    const confState = { ...EMPTY_CONF_STATE, voters: [nodeId(1)], learners: [nodeId(2)] };
    expect(copy.members(confState)).toEqual([
      { id: 1, name: 'a', peerAddress: 'h:1', clientUrls: [], grpcUrls: [], isLearner: false },
      { id: 2, name: 'b', peerAddress: 'h:2', clientUrls: ['http://h:8000'], grpcUrls: ['http://h:9090'], isLearner: true },
    ]);
    copy.applyConfChange({ transition: ConfChangeTransition.Auto, changes: [{ type: ConfChangeType.RemoveNode, nodeId: nodeId(2) }], context: EMPTY_BYTES });
    expect(copy.get(nodeId(2))).toBeUndefined();
  });

  it('reads a table of format 1, written before members published gRPC URLs, as having none', () => {
    // Format 1, one member: id 2, name "b", peer address "h:2", one client URL "u".
    const formatOne = Uint8Array.from([1, 1, 2, 1, 98, 3, 104, 58, 50, 1, 1, 117]);
    const table = new MemberTable(new Map());
    table.load(formatOne);
    expect(table.get(nodeId(2))).toEqual({ name: 'b', peerAddress: 'h:2', clientUrls: ['u'], grpcUrls: [] });
  });
});

describe('the ReadIndex batcher', () => {
  it('serves every read queued before a request with that one request, once the index is applied', async () => {
    const batcher = new ReadIndexBatcher(1_000, 100, randomInt);
    const released: number[] = [];
    const reads = [0, 1, 2].map((i) => batcher.enqueue(0, 5_000).then(() => released.push(i)));
    const contexts: Uint8Array[] = [];
    batcher.issue(0, (context) => {
      contexts.push(context);
      return null;
    });
    const late = batcher.enqueue(0, 5_000).then(() => released.push(3));
    expect(contexts).toHaveLength(1);
    batcher.confirm(contexts[0]!, 10, 9);
    await Promise.resolve();
    expect(released).toEqual([]);
    batcher.applied(10);
    await Promise.all(reads);
    expect(released).toEqual([0, 1, 2]);
    expect(batcher.pendingCount).toBe(1);
    batcher.failAll(new Error('stopped'));
    await expect(late).rejects.toThrow('stopped');
  });

  it('issues an unanswered request again after the retry interval, and fails reads at their deadline', async () => {
    const batcher = new ReadIndexBatcher(100, 100, randomInt);
    const read = batcher.enqueue(0, 300);
    let issued = 0;
    const issue = (): null => {
      issued++;
      return null;
    };
    batcher.issue(0, issue);
    batcher.sweep(150);
    batcher.issue(150, issue);
    expect(issued).toBe(2);
    batcher.sweep(300);
    await expect(read).rejects.toMatchObject({ code: 'NODE_TIMEOUT' });
  });

  // Seed 12584 of the node simulator: the leader's answer to a request made just before a
  // crash reached the restarted member, matched its first request and served a stale read.
  it("an answer to a request of the member's previous run releases no read of the restarted run", async () => {
    const contextOf = (batcher: ReadIndexBatcher): Uint8Array => {
      let issued: Uint8Array | undefined;
      batcher.issue(0, (context) => {
        issued = context;
        return null;
      });
      return issued!;
    };
    const beforeCrash = new ReadIndexBatcher(1_000, 100, randomInt);
    void beforeCrash.enqueue(0, 5_000);
    const staleContext = contextOf(beforeCrash);
    const restarted = new ReadIndexBatcher(1_000, 100, randomInt);
    let released = false;
    const read = restarted.enqueue(0, 5_000).then(() => (released = true));
    const context = contextOf(restarted);
    expect(Buffer.from(context).equals(Buffer.from(staleContext))).toBe(false);
    restarted.confirm(staleContext, 18, 18);
    await Promise.resolve();
    expect(released).toBe(false);
    restarted.confirm(context, 19, 19);
    await read;
    expect(released).toBe(true);
  });
});

describe('the proposal tracker', () => {
  it('a restarted node hands out other request ids than its previous run, even at the same wall-clock time', () => {
    const wallClock = vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    try {
      const before = new ProposalTracker(randomInt, BOUNDS).track(0, 1_000, 10).requestId;
      const after = new ProposalTracker(randomInt, BOUNDS).track(0, 1_000, 10).requestId;
      expect(Math.abs(after - before)).toBeGreaterThan(1_000_000);
      expect(Number.isSafeInteger(after + 2 ** 50)).toBe(true);
    } finally {
      wallClock.mockRestore();
    }
  });

  it('fails proposals made before a term change with NODE_LEADERSHIP_LOST, and keeps newer ones', async () => {
    const tracker = new ProposalTracker(randomInt, BOUNDS);
    const old = tracker.track(0, 1_000, 10);
    tracker.proposed(old.requestId, 1);
    const fresh = tracker.track(0, 1_000, 10);
    tracker.proposed(fresh.requestId, 2);
    expect(tracker.leadershipChanged(2)).toBe(1);
    await expect(old.settled).rejects.toMatchObject({ code: 'NODE_LEADERSHIP_LOST' });
    expect(tracker.expire(1_000)).toBe(1);
    await expect(fresh.settled).rejects.toMatchObject({ code: 'NODE_TIMEOUT' });
  });
});

describe('the snapshot policy', () => {
  /** A log of `count` entries after `originIndex`, each of `entryBytes` bytes. */
  function logOf(originIndex: number, count: number, entryBytes: number): LogFootprint {
    return {
      firstIndex: () => originIndex + 1,
      entriesDataBytes: count * entryBytes,
      originKeepingBytes: (bytesMax) => Math.max(originIndex, originIndex + count - Math.floor(bytesMax / entryBytes)),
    };
  }
  const MIB = 1024 * 1024;

  it('snapshots every snapshotEntries applied entries and keeps the margin in the log', () => {
    const policy = new SnapshotPolicy(100, 30, 64 * MIB);
    expect(policy.plan(99, 0, logOf(0, 99, 10))).toBeUndefined();
    expect(policy.plan(100, 0, logOf(0, 100, 10))).toEqual({ snapshotIndex: 100, compactIndex: 70 });
    expect(policy.plan(220, 100, logOf(70, 150, 10))).toEqual({ snapshotIndex: 220, compactIndex: 190 });
    expect(policy.plan(120, 10, logOf(100, 20, 10))).toEqual({ snapshotIndex: 120, compactIndex: undefined });
  });

  it('snapshots early when the entries in memory pass the byte budget, keeping a quarter of it', () => {
    const policy = new SnapshotPolicy(10_000, 5_000, 64 * MIB);
    // 2,100 entries of 32 KiB (batch writes) are 65.6 MiB: far fewer than 10,000 entries, but over budget.
    const log = logOf(0, 2_100, 32 * 1024);
    expect(policy.plan(2_100, 0, log)).toEqual({ snapshotIndex: 2_100, compactIndex: 2_100 - 512 });
    expect(policy.plan(1_000, 0, logOf(0, 1_000, 32 * 1024))).toBeUndefined();
  });

  it('does not snapshot over budget when compaction could not shrink the log', () => {
    const policy = new SnapshotPolicy(10_000, 5_000, 64 * MIB);
    // Everything in memory is above the applied index (a follower far behind on applying).
    expect(policy.plan(10, 5, logOf(10, 2_100, 32 * 1024))).toBeUndefined();
    expect(policy.plan(5, 5, logOf(0, 2_100, 32 * 1024))).toBeUndefined();
  });
});
