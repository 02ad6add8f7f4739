// Overload: a real three-process cluster with one slow follower takes thousands of concurrent
// requests, most of them large puts. Each member's resident memory stays under a stated bound,
// the leader keeps its term (heartbeats are not starved), every request is answered or refused
// with NODE_OVERLOADED before its deadline, and every acknowledged write is on every member.
import { describe, expect, it } from 'vitest';
import { describeFigures, runOverloadScenario } from './overload-scenario.js';

/** Each server process's resident memory stays below this during the load. */
const RSS_MIB_MAX = 1_024;
const DEADLINE_MS = 30_000;

describe('a cluster under overload', () => {
  it('stays within its memory bound and its term, answers or refuses every request in time, and loses no acknowledged write', async () => {
    const figures = await runOverloadScenario({
      requests: 5_000,
      concurrency: 2_000,
      channelsPerMember: 4,
      valueBytes: 64 * 1024,
      largeValueEvery: 200,
      largeValueBytes: 1024 * 1024,
      readsInTen: 6,
      slowDiskMs: 50,
      deadlineMs: DEADLINE_MS,
      logDirectory: process.env.OVERLOAD_LOG_DIRECTORY,
      serverArgs: ['--pending-proposals-max', '500', '--pending-proposal-bytes-max', '4MiB', '--pending-reads-max', '200'],
    });
    console.log(describeFigures(figures));
    expect(figures.failed).toEqual({});
    expect(figures.refused.NODE_OVERLOADED ?? 0).toBeGreaterThan(0);
    expect(figures.acknowledged).toBeGreaterThan(0);
    expect(figures.latencyMs.max).toBeLessThan(DEADLINE_MS);
    for (const [member, mib] of Object.entries(figures.rssMiBMax)) expect(mib, `VmRSS of ${member}`).toBeLessThan(RSS_MIB_MAX);
    expect(figures.termAfter).toBe(figures.termBefore);
    expect(figures.leaderAfter).toBe(figures.leaderBefore);
    expect(figures.lostKeys).toEqual([]);
  }, 150_000);
});
