// Commitment (Raft paper §5.4.2, Figure 8): a leader never commits an entry of an earlier term
// by counting its replicas; such an entry commits only together with one of the leader's term.

import { describe, expect, it } from 'vitest';
import { MessageType, StateType, nodeId } from '../../src/raft/index.js';
import { Cluster, ELECTION_TICKS, PAPER_RAFT } from './harness.js';

/** Long enough that, with a one-byte append limit, it always travels alone. */
const FIRST_TERM_WRITE = 'written in the first term';

/**
 * Plays Figure 8 up to (c) with five nodes S1..S5 (ids 1..5) in the paper's setting (no
 * pre-vote, no check-quorum). Returns with S1 leading a later term while its first-term entry
 * at index 2 is on a majority (S1, S3, S4 as far as S1 knows) and its own term's entry is not.
 */
function figureEightC() {
  // One entry per append, so that the first-term entry can reach a follower on its own.
  const cluster = new Cluster({ voters: 5, settings: { ...PAPER_RAFT, entriesBytesPerAppendMax: 1 } });
  // (a) S1 leads (its no-op is index 1) and replicates index 2 to S2 only.
  cluster.elect(1);
  const firstTerm = cluster.node(1).term();
  const cuts = [3, 4, 5].map((id) => cluster.cut(1, id));
  cluster.propose(1, FIRST_TERM_WRITE);
  cluster.stabilize();
  for (const cut of cuts) cluster.heal(cut);

  // (b) S1 crashes; S5 wins with the votes of S3, S4 and its own, and appends a different
  // entry at index 2 (its no-op), which reaches nobody.
  const s1Down = cluster.isolate(1);
  const s5AppendsLost = cluster.drop('S5 appends are lost', (m) => m.from === 5 && m.type === MessageType.Append);
  cluster.elect(5);
  expect(cluster.persistedEntries(5, 2)[0]?.term).toBe(firstTerm + 1);

  // (c) S5 crashes; S1 restarts. Entries of S1's new term are lost on the way to a follower
  // that already holds index 2, so the first-term entry spreads and the new one does not.
  cluster.heal(s1Down);
  cluster.heal(s5AppendsLost);
  cluster.isolate(5);
  cluster.restart(1);
  cluster.drop(
    'entries of a newer term are lost',
    (m) =>
      m.type === MessageType.Append &&
      m.entries.some((e) => e.term > firstTerm + 1) &&
      cluster.node(m.to).storage.lastIndex() >= 2,
  );
  // S3 and S4 already voted for S5 in S1's next term, so S1 needs one more.
  cluster.node(1).raw.campaign();
  cluster.stabilize();
  expect(cluster.node(1).state()).toBe(StateType.Candidate);
  cluster.elect(1);
  return { cluster, firstTerm };
}

describe('commitment (Figure 8)', () => {
  it('a leader does not commit an entry of an earlier term by counting replicas', () => {
    const { cluster, firstTerm } = figureEightC();
    const leader = cluster.node(1);
    const progress = leader.raw.status().progress;
    expect(progress.get(nodeId(3))?.match).toBe(2);
    expect(progress.get(nodeId(4))?.match).toBe(2);
    expect(leader.commit()).toBe(1);

    // Why: (d) S1 crashes and S5 restarts; its index 2 is of a later term, so it wins and
    // overwrites the entry that a majority held.
    cluster.heal();
    cluster.isolate(1);
    cluster.restart(5);
    cluster.node(5).raw.campaign();
    cluster.stabilize();
    cluster.elect(5);
    cluster.stabilize();
    for (const id of [2, 3, 4, 5]) {
      expect(cluster.persistedEntries(id, 2)[0]?.term).toBe(firstTerm + 1);
      expect(cluster.node(id).texts()).not.toContain(FIRST_TERM_WRITE);
    }
  });

  it('the earlier-term entry commits only together with an entry of the leader term', () => {
    const { cluster } = figureEightC();
    const leader = cluster.node(1);
    cluster.heal();
    cluster.tickUntil(() => leader.commit() >= 3, ELECTION_TICKS, [1]);
    // The commit index jumps over index 2: it was never committed on its own.
    expect(leader.commitHistory).not.toContain(2);
    cluster.tick(ELECTION_TICKS, [1]);
    for (const id of cluster.ids()) expect(cluster.node(id).texts()).toEqual([FIRST_TERM_WRITE]);
  });
});
