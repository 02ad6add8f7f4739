// Failover and watch resumption on a real three-member cluster: a writer keeps going when the
// leader is kill -9'd mid-stream, and a watch resumes across the restart of the member it
// watches without losing or repeating an event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BeaverVaultError, type BeaverVaultClient, connect, type WatchEvent } from '../../src/client/index.js';
import { type ServerProcess, TestCluster, waitFor } from '../cluster/cluster-harness.js';
import { grpcEndpoint } from './grpc-endpoints.js';

const sequenceKey = (prefix: string, sequence: number): string => `${prefix}${String(sequence).padStart(5, '0')}`;

let cluster: TestCluster;
const clients: BeaverVaultClient[] = [];

function client(endpoints: readonly ServerProcess[], attemptsMax = 30): BeaverVaultClient {
  const made = connect({ endpoints: endpoints.map(grpcEndpoint), requestTimeoutMs: 15_000, retry: { attemptsMax, baseDelayMs: 50, maxDelayMs: 500 } });
  clients.push(made);
  return made;
}

/** Collects every event of a watch until `stop` aborts it. */
async function collect(events: AsyncIterable<WatchEvent>, into: WatchEvent[]): Promise<void> {
  for await (const event of events) into.push(event);
}

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 3, prefix: 'client-failover' });
}, 60_000);

afterAll(async () => {
  for (const made of clients) made.close();
  await cluster?.destroy();
});

describe('failover', () => {
  it('a writer keeps succeeding after the leader is killed mid-stream, and every acknowledged write survives', async () => {
    const leader = await cluster.leader();
    const writer = client([leader, ...cluster.members.filter((member) => member !== leader)]);
    const watchStop = new AbortController();
    const watched: WatchEvent[] = [];
    const watching = collect(writer.watch('failover/', { prefix: true, signal: watchStop.signal }), watched);
    const acknowledged = new Map<string, string>();
    const unknown = new Map<string, string>();
    let killedAtSequence = -1;
    let killedAtMs = 0;
    let firstAcknowledgedAfterKillMs: number | undefined;
    for (let sequence = 0; sequence < 120; sequence += 1) {
      if (sequence === 40) {
        killedAtSequence = sequence;
        await waitFor('the watch on the leader to deliver the first writes', 10_000, () => (watched.length === acknowledged.size ? true : undefined));
        await leader.kill();
        killedAtMs = Date.now();
      }
      const key = sequenceKey('failover/', sequence);
      try {
        await writer.put(key, String(sequence));
        acknowledged.set(key, String(sequence));
        if (killedAtMs > 0) firstAcknowledgedAfterKillMs ??= Date.now();
      } catch (error) {
        if (!(error instanceof BeaverVaultError) || !error.mayHaveCommitted) throw error;
        unknown.set(key, String(sequence));
      }
    }
    expect(killedAtSequence).toBe(40);
    // The gap is an election plus the client's failover: seconds, not the whole call deadline.
    expect((firstAcknowledgedAfterKillMs ?? Infinity) - killedAtMs).toBeLessThan(8_000);
    expect(acknowledged.size).toBeGreaterThanOrEqual(110);
    for (const [key, value] of acknowledged) expect((await writer.get(key))?.value.toString(), key).toBe(value);
    // A write of unknown outcome either committed whole or not at all.
    for (const [key, value] of unknown) expect([undefined, value]).toContain((await writer.get(key))?.value.toString());

    // The watch, opened on the killed leader, moved elsewhere and saw each committed write once, in order.
    await waitFor('the watch to catch up', 10_000, () => (watched.at(-1)?.kv.key.toString() === sequenceKey('failover/', 119) ? true : undefined));
    watchStop.abort();
    await watching;
    const seen = watched.map((event) => event.kv.key.toString());
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((key) => acknowledged.has(key))).toEqual([...acknowledged.keys()]);
    leader.start();
    await leader.waitUntilReady();
  });
});

describe('watch resumption', () => {
  it('resumes across a restart of the only member it knows, with no lost or duplicated event', async () => {
    // A follower: killing the leader would force an election, and a write pending across it may
    // fail as may-have-committed, which is the failover test's subject, not this one's.
    const leader = await cluster.leader();
    const watchedMember = cluster.members.find((member) => member.running && member !== leader) as ServerProcess;
    const others = cluster.members.filter((member) => member !== watchedMember);
    const watcher = client([watchedMember], 200);
    const writer = client(others);
    const first = await writer.put('resume/start', 'start');
    const stop = new AbortController();
    const events: WatchEvent[] = [];
    const watching = collect(watcher.watch('resume/', { prefix: true, fromRevision: first.revision + 1, signal: stop.signal }), events);
    const written: string[] = [];
    for (let sequence = 0; sequence < 60; sequence += 1) {
      if (sequence === 20) {
        // Mid-stream: the watch has delivered what came before, then its member dies.
        await waitFor('the watch to deliver the first writes', 10_000, () => (events.length === 20 ? true : undefined));
        await watchedMember.kill();
      }
      if (sequence === 40) watchedMember.start();
      const key = sequenceKey('resume/', sequence);
      await writer.put(key, String(sequence));
      written.push(key);
    }
    await waitFor('the resumed watch to deliver the last write', 30_000, () => (events.length >= written.length ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop.abort();
    await watching;
    expect(events.map((event) => event.kv.key.toString())).toEqual(written);
    expect(events.map((event) => event.kv.value.toString())).toEqual(written.map((_key, sequence) => String(sequence)));
  });
});
