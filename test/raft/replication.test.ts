// Log replication (Raft paper §5.3, and etcd's flow control): probing, pipelining within an
// in-flight window, a byte limit per append, and fast backtracking over conflicting logs.

import { describe, expect, it } from 'vitest';
import { MessageType, ProgressState, nodeId } from '../../src/raft/index.js';
import type { Message, ProgressStatus } from '../../src/raft/index.js';
import { Cluster, ELECTION_TICKS, PAPER_RAFT } from './harness.js';

function progressOf(cluster: Cluster, leader: number, follower: number): ProgressStatus {
  const progress = cluster.node(leader).raw.status().progress.get(nodeId(follower));
  if (!progress) throw new Error(`leader ${leader} tracks no progress for ${follower}`);
  return progress;
}

function proposeAll(cluster: Cluster, leader: number, texts: readonly string[]): void {
  for (const text of texts) {
    expect(cluster.propose(leader, text)).toBeNull();
    cluster.stabilize();
  }
}

const numbered = (count: number, prefix: string): string[] => Array.from({ length: count }, (_, i) => `${prefix} ${i}`);

const dataBytes = (m: Message): number => m.entries.reduce((sum, e) => sum + e.data.byteLength, 0);

describe('log replication', () => {
  it('a leader probes an unresponsive follower one append at a time, then streams once it answers', () => {
    const cluster = new Cluster();
    const partition = cluster.isolate(3);
    cluster.elect(1);
    proposeAll(cluster, 1, numbered(5, 'entry'));
    expect(progressOf(cluster, 1, 3).state).toBe(ProgressState.Probe);
    expect(cluster.sent({ type: MessageType.Append, from: 1, to: 3 })).toHaveLength(1);
    expect(progressOf(cluster, 1, 2).state).toBe(ProgressState.Replicate);

    cluster.heal(partition);
    cluster.tickUntil(() => progressOf(cluster, 1, 3).state === ProgressState.Replicate, ELECTION_TICKS, [1]);
    cluster.tick(1, [1]);
    expect(progressOf(cluster, 1, 3).match).toBe(cluster.node(1).storage.lastIndex());
    expect(cluster.node(3).texts()).toEqual(numbered(5, 'entry'));
  });

  it('the in-flight window caps the appends outstanding to a follower that does not answer', () => {
    const cluster = new Cluster({ settings: { inflightMessagesMax: 3 } });
    cluster.elect(1);
    expect(progressOf(cluster, 1, 3).state).toBe(ProgressState.Replicate);
    // Appends without entries only advance the follower's commit index; the window counts
    // the appends that carry entries.
    const appendsWithEntries = () => cluster.sent({ type: MessageType.Append, from: 1, to: 3 }).filter((m) => m.entries.length > 0).length;
    const appendsBefore = appendsWithEntries();
    const silence = cluster.cutOneWay(3, 1);
    proposeAll(cluster, 1, numbered(10, 'entry'));
    expect(appendsWithEntries() - appendsBefore).toBe(3);
    expect(progressOf(cluster, 1, 3).inflightMessages).toBe(3);
    // The window is per follower: the other one is not held back.
    expect(cluster.node(2).texts()).toEqual(numbered(10, 'entry'));

    cluster.heal(silence);
    cluster.tickUntil(() => cluster.node(3).texts().length === 10, 5 * ELECTION_TICKS, [1]);
  });

  it('the byte limit per append splits a backlog into several appends, each with at least one entry', () => {
    const cluster = new Cluster({ settings: { entriesBytesPerAppendMax: 100 } });
    cluster.elect(1);
    const partition = cluster.isolate(3);
    const fortyByteTexts = numbered(10, 'entry').map((text) => text.padEnd(40, '.'));
    const oversized = 'o'.repeat(300);
    proposeAll(cluster, 1, [...fortyByteTexts, oversized]);
    const appendsBefore = cluster.sent({ type: MessageType.Append, from: 1, to: 3 }).length;
    cluster.heal(partition);
    cluster.tickUntil(() => cluster.node(3).texts().length === 11, 5 * ELECTION_TICKS, [1]);

    const appends = cluster.sent({ type: MessageType.Append, from: 1, to: 3 }).slice(appendsBefore).filter((m) => m.entries.length > 0);
    for (const append of appends) {
      if (append.entries.length > 1) expect(dataBytes(append)).toBeLessThanOrEqual(100);
    }
    // 400 bytes in 40-byte entries need at least five appends, and the 300-byte entry its own.
    expect(appends.length).toBeGreaterThanOrEqual(6);
    expect(cluster.node(3).texts()).toEqual([...fortyByteTexts, oversized]);
  });

  it('fast backtracking skips a long conflicting suffix in a round trip or two, not one per entry', () => {
    const cluster = new Cluster({ settings: PAPER_RAFT });
    cluster.elect(1);
    proposeAll(cluster, 1, ['base']);
    // The old leader, cut off, appends 50 entries that will never commit.
    const oldLeaderAlone = cluster.isolate(1);
    proposeAll(cluster, 1, numbered(50, 'stale'));
    // The others elect 2 and commit 60 entries of a later term, then 3 takes over, so that the
    // leader starts probing the old leader from the far end of a long log.
    cluster.elect(2);
    proposeAll(cluster, 2, numbered(60, 'fresh'));
    cluster.elect(3);
    const rejectionsBefore = cluster.sent({ type: MessageType.AppendResponse, from: 1 }).filter((m) => m.reject).length;

    cluster.heal(oldLeaderAlone);
    cluster.tickUntil(() => cluster.node(1).texts().length === 61, 5 * ELECTION_TICKS, [3]);
    const rejections = cluster.sent({ type: MessageType.AppendResponse, from: 1 }).filter((m) => m.reject).length - rejectionsBefore;
    expect(rejections).toBeGreaterThanOrEqual(1);
    expect(rejections).toBeLessThanOrEqual(2);
    expect(cluster.node(1).texts()).toEqual(['base', ...numbered(60, 'fresh')]);
  });

  it('a follower ignores a delayed duplicate append: it never truncates entries that match', () => {
    const cluster = new Cluster();
    cluster.elect(1);
    // Acknowledgements are lost, so the entries stay uncommitted and the follower may not
    // dismiss the old append as below its commit index.
    const acknowledgementsLost = cluster.dropTypes(MessageType.AppendResponse);
    proposeAll(cluster, 1, ['a']);
    const delayed = cluster.sent({ type: MessageType.Append, from: 1, to: 2 }).at(-1);
    expect(delayed?.entries).toHaveLength(1);
    proposeAll(cluster, 1, ['b', 'c']);
    const follower = cluster.node(2);
    const lastIndex = follower.storage.lastIndex();
    expect(follower.commit()).toBeLessThan(lastIndex - 2);

    if (delayed) cluster.deliver(delayed);
    cluster.stabilize();
    expect(follower.storage.lastIndex()).toBe(lastIndex);
    cluster.heal(acknowledgementsLost);
    cluster.tickUntil(() => follower.texts().length === 3, ELECTION_TICKS, [1]);
    expect(follower.texts()).toEqual(['a', 'b', 'c']);
  });
});
