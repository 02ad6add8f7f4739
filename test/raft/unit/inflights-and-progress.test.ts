import { describe, expect, it } from 'vitest';
import { Inflights } from '../../../src/raft/inflights.js';
import { Progress } from '../../../src/raft/progress.js';
import { ProgressState, logIndex } from '../../../src/raft/types.js';

describe('inflights window', () => {
  it('fills up to its capacity and frees acknowledged messages in order', () => {
    const window = new Inflights(3);
    window.add(logIndex(2));
    window.add(logIndex(4));
    window.add(logIndex(6));
    expect(window.full()).toBe(true);
    expect(() => window.add(logIndex(8))).toThrow(/full/);
    window.freeLE(logIndex(4));
    expect(window.size).toBe(1);
    expect(window.full()).toBe(false);
  });

  it('wraps around the ring buffer', () => {
    const window = new Inflights(2);
    for (let i = 1; i <= 10; i++) {
      window.freeLE(logIndex(i - 2));
      window.add(logIndex(i));
      expect(window.size).toBe(i === 1 ? 1 : 2);
    }
    window.freeLE(logIndex(9));
    expect(window.size).toBe(1);
    window.freeLE(logIndex(10));
    expect(window.size).toBe(0);
  });

  it('freeing below every message frees nothing; reset frees everything', () => {
    const window = new Inflights(4);
    window.add(logIndex(5));
    window.freeLE(logIndex(4));
    expect(window.size).toBe(1);
    window.reset();
    expect(window.size).toBe(0);
  });
});

describe('progress state transitions', () => {
  it('a probe sends one append, then waits for an answer', () => {
    const progress = new Progress(logIndex(5), 10, false);
    expect(progress.isPaused()).toBe(false);
    progress.sentEntries(3);
    expect(progress.isPaused()).toBe(true);
    expect(progress.next).toBe(5);
    expect(progress.maybeUpdate(logIndex(7))).toBe(true);
    expect(progress.isPaused()).toBe(false);
    expect(progress.next).toBe(8);
  });

  it('replicate streams optimistically until the window is full', () => {
    const progress = new Progress(logIndex(1), 2, false);
    progress.becomeReplicate();
    progress.sentEntries(2);
    expect(progress.next).toBe(3);
    expect(progress.isPaused()).toBe(false);
    progress.sentEntries(1);
    expect(progress.isPaused()).toBe(true);
    progress.maybeUpdate(logIndex(2));
    progress.inflights.freeLE(logIndex(2));
    expect(progress.inflights.size).toBe(1);
  });

  it('a stale acknowledgement does not move match back', () => {
    const progress = new Progress(logIndex(1), 4, false);
    progress.maybeUpdate(logIndex(5));
    expect(progress.maybeUpdate(logIndex(3))).toBe(false);
    expect(progress.match).toBe(5);
  });

  it('a rejection in probe moves next back to the hint but never below match + 1', () => {
    const progress = new Progress(logIndex(10), 4, false);
    progress.match = logIndex(3);
    expect(progress.maybeDecreaseTo(logIndex(8), logIndex(6))).toBe(false); // not about next - 1
    expect(progress.maybeDecreaseTo(logIndex(9), logIndex(6))).toBe(true);
    expect(progress.next).toBe(7);
    expect(progress.maybeDecreaseTo(logIndex(6), logIndex(0))).toBe(true);
    expect(progress.next).toBe(4);
  });

  it('a rejection in replicate falls back to match + 1 unless it is stale', () => {
    const progress = new Progress(logIndex(1), 4, false);
    progress.maybeUpdate(logIndex(5));
    progress.becomeReplicate();
    progress.sentEntries(5);
    expect(progress.next).toBe(11);
    expect(progress.maybeDecreaseTo(logIndex(4), logIndex(4))).toBe(false);
    expect(progress.maybeDecreaseTo(logIndex(8), logIndex(6))).toBe(true);
    expect(progress.next).toBe(6);
  });

  it('after a snapshot, probing resumes just past the snapshot', () => {
    const progress = new Progress(logIndex(3), 4, false);
    progress.becomeSnapshot(logIndex(20));
    expect(progress.state).toBe(ProgressState.Snapshot);
    expect(progress.isPaused()).toBe(true);
    progress.becomeProbe();
    expect(progress.state).toBe(ProgressState.Probe);
    expect(progress.next).toBe(21);
  });
});
