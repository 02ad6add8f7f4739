import { afterEach, describe, expect, it } from 'vitest';
import { ReadyPersistence } from '../../src/node/ready-persistence.js';
import { setFailpoint } from '../../src/failpoints/failpoints.js';
import { createNodeMetrics } from '../../src/observability/metrics.js';
import { type Entry, type Message, type Ready, logIndex, message, MessageType, nodeId, term } from '../../src/raft/index.js';
import { entry, openStore, temporaryDirectory, useTemporaryDirectories } from '../storage/helpers.js';

useTemporaryDirectories();
afterEach(() => setFailpoint('wal-write', { kind: 'off' }));

/** Long enough that a write still in flight is told apart from one that finished. */
const SLOW_WRITE_MS = 50;

function ready(entries: readonly Entry[], acknowledged: readonly Message[]): Ready {
  const last = entries[entries.length - 1];
  return {
    softState: null,
    hardState: last === undefined ? null : { term: term(1), vote: nodeId(1), commit: logIndex(0) },
    readStates: [],
    entries,
    snapshot: null,
    committedEntries: [],
    messages: [],
    messagesAfterPersist: acknowledged,
    mustSync: entries.length > 0,
  };
}

function acknowledgement(index: number): Message {
  return message({ type: MessageType.AppendResponse, to: nodeId(2), from: nodeId(1), term: term(1), index: logIndex(index) });
}

async function persistenceWithSlowDisk(): Promise<{ persistence: ReadyPersistence; sent: Message[]; failures: unknown[] }> {
  const logStore = await openStore(await temporaryDirectory());
  const sent: Message[] = [];
  const failures: unknown[] = [];
  const persistence = new ReadyPersistence({ logStore, metrics: createNodeMetrics(), send: (messages) => sent.push(...messages), onFatal: (error) => failures.push(error) });
  setFailpoint('wal-write', { kind: 'sleep', milliseconds: SLOW_WRITE_MS });
  return { persistence, sent, failures };
}

describe('pipelined persistence of Readies', () => {
  it('returns before the fsync, and sends the acknowledgements only once the entries are durable', async () => {
    const { persistence, sent } = await persistenceWithSlowDisk();
    const started = performance.now();
    await persistence.persist(ready([entry(1, 1), entry(2, 1)], [acknowledgement(2)]));
    expect(performance.now() - started).toBeLessThan(SLOW_WRITE_MS);
    expect(sent).toEqual([]);
    await persistence.durableThrough(2);
    expect(sent.map((message) => message.index)).toEqual([2]);
  });

  it('holds back the acknowledgements of a Ready with nothing to write until earlier writes are durable', async () => {
    const { persistence, sent } = await persistenceWithSlowDisk();
    await persistence.persist(ready([entry(1, 1)], [acknowledgement(1)]));
    await persistence.persist(ready([], [acknowledgement(1)]));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([]);
    await persistence.drain();
    expect(sent).toHaveLength(2);
  });

  it('persists a Ready that overwrites entries only after every earlier write, and waits for it', async () => {
    const { persistence, sent } = await persistenceWithSlowDisk();
    await persistence.persist(ready([entry(1, 1), entry(2, 1), entry(3, 1)], [acknowledgement(3)]));
    await persistence.persist(ready([entry(2, 2)], [acknowledgement(2)]));
    expect(sent.map((message) => message.index)).toEqual([3, 2]);
    await persistence.durableThrough(2);
  });
});
