// The etcd Watch stream at the wire level: watch ids chosen by the client or the server,
// filters, prev_kv, cancel, progress requests, and fragmentation of a large response.
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutRequest, TxnRequest, WatchCreateRequest, type WatchRequest, type WatchResponse } from '../../src/generated/etcd/etcdserverpb/rpc.js';
import { TestCluster, waitFor } from '../cluster/cluster-harness.js';
import { call, type EtcdClients, etcdClients } from './etcd-grpc-client.js';

let cluster: TestCluster;
let clients: EtcdClients;

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 3, prefix: 'etcd-watch' });
  clients = etcdClients(cluster.member('n2'));
}, 60_000);

afterAll(async () => {
  clients?.close();
  await cluster?.destroy();
});

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
const text = (value: Uint8Array | undefined): string => Buffer.from(value ?? new Uint8Array()).toString('utf8');

/** One watch stream and everything it has received so far. */
class WatchStream {
  readonly received: WatchResponse[] = [];
  private readonly stream: ClientDuplexStream<WatchRequest, WatchResponse>;

  constructor() {
    this.stream = clients.watch.watch();
    this.stream.on('data', (response: WatchResponse) => this.received.push(response));
    this.stream.on('error', () => undefined);
  }

  send(request: WatchRequest): void {
    this.stream.write(request);
  }

  create(fields: Partial<WatchCreateRequest>): void {
    this.send({ createRequest: WatchCreateRequest.fromPartial(fields) });
  }

  async until(what: string, done: (received: WatchResponse[]) => boolean): Promise<WatchResponse[]> {
    await waitFor(what, 10_000, () => (done(this.received) ? true : undefined));
    return this.received;
  }

  close(): void {
    this.stream.cancel();
  }
}

async function put(key: string, value: string | Buffer): Promise<bigint> {
  const response = await call(clients.kv.put.bind(clients.kv), PutRequest.fromPartial({ key: bytes(key), value: typeof value === 'string' ? bytes(value) : value }));
  return response.header?.revision ?? 0n;
}

async function remove(key: string): Promise<void> {
  await call(clients.kv.deleteRange.bind(clients.kv), { key: bytes(key), rangeEnd: new Uint8Array(), prevKv: false });
}

describe('the etcd Watch stream', () => {
  it('echoes a watch id the client chose, picks distinct ones otherwise, and refuses a duplicate', async () => {
    const watch = new WatchStream();
    try {
      watch.create({ key: bytes('/ids/a'), watchId: 42n });
      watch.create({ key: bytes('/ids/b') });
      watch.create({ key: bytes('/ids/c') });
      watch.create({ key: bytes('/ids/d'), watchId: 42n });
      const responses = await watch.until('four created responses', (received) => received.length >= 4);
      expect(responses.map((response) => response.created)).toEqual([true, true, true, true]);
      expect(responses[0]?.watchId).toBe(42n);
      expect(new Set([42n, responses[1]?.watchId, responses[2]?.watchId]).size).toBe(3);
      expect(responses[3]).toMatchObject({ watchId: -1n, canceled: true, cancelReason: 'mvcc: duplicate watch ID provided on the WatchStream' });
    } finally {
      watch.close();
    }
  });

  it('delivers only deletes with NOPUT, with the previous value when prev_kv is set, and stops after cancel', async () => {
    const watch = new WatchStream();
    try {
      watch.create({ key: bytes('/filter/'), rangeEnd: bytes('/filter0'), filters: [0], prevKv: true, watchId: 7n });
      await watch.until('created', (received) => received.length >= 1);
      await put('/filter/x', 'before');
      await remove('/filter/x');
      const [, deletion] = await watch.until('one delete event', (received) => received.length >= 2);
      expect(deletion?.events.map((event) => [event.type, text(event.kv?.key), text(event.prevKv?.value)])).toEqual([[1, '/filter/x', 'before']]);

      watch.send({ cancelRequest: { watchId: 7n } });
      const [, , canceled] = await watch.until('the canceled response', (received) => received.length >= 3);
      expect(canceled).toMatchObject({ watchId: 7n, canceled: true });
      await put('/filter/y', 'after');
      await remove('/filter/y');
      await put('/elsewhere', 'marker');
      expect(watch.received).toHaveLength(3);
    } finally {
      watch.close();
    }
  });

  it('answers a progress request with the current revision on watch id -1', async () => {
    const watch = new WatchStream();
    try {
      watch.create({ key: bytes('/progress/') });
      await watch.until('created', (received) => received.length >= 1);
      const revision = await put('/unwatched', 'moves the revision');
      watch.send({ progressRequest: {} });
      const [, progress] = await watch.until('a progress response', (received) => received.length >= 2);
      expect(progress).toMatchObject({ watchId: -1n, events: [] });
      expect(progress?.header?.revision).toBeGreaterThanOrEqual(revision);
    } finally {
      watch.close();
    }
  });

  it('never sends a progress response ahead of events up to its revision, while writes arrive', async () => {
    // kube-apiserver's watch cache serves consistent reads on this promise (etcd 3.4.31/3.5.13).
    const watch = new WatchStream();
    try {
      watch.create({ key: bytes('/ordered/'), rangeEnd: bytes('/ordered0') });
      await watch.until('created', (received) => received.length >= 1);
      const revisions: bigint[] = [];
      let writing = true;
      const writers = Array.from({ length: 8 }, async (_unused, writer) => {
        for (let index = 0; index < 40; index += 1) revisions.push(await put(`/ordered/${writer}`, String(index)));
      });
      const asking = (async () => {
        while (writing) {
          watch.send({ progressRequest: {} });
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      await Promise.all(writers);
      writing = false;
      await asking;
      const last = revisions.reduce((a, b) => (a > b ? a : b));
      await waitFor('a progress response at the last write', 10_000, () => {
        if (!watch.received.some((response) => response.watchId === -1n && (response.header?.revision ?? 0n) >= last)) {
          watch.send({ progressRequest: {} });
          return undefined;
        }
        return true;
      });
      const seen = new Set<bigint>();
      let progressResponses = 0;
      for (const response of watch.received) {
        for (const event of response.events) seen.add(event.kv?.modRevision ?? 0n);
        if (response.watchId !== -1n) continue;
        progressResponses += 1;
        const at = response.header?.revision ?? 0n;
        expect(revisions.filter((revision) => revision <= at && !seen.has(revision)), `events missing before the progress response at ${at}`).toEqual([]);
      }
      expect(progressResponses).toBeGreaterThan(0);
      expect(revisions.every((revision) => seen.has(revision))).toBe(true);
    } finally {
      watch.close();
    }
  });

  it('splits a response larger than 1.5 MiB into fragments when asked, whole events in order', async () => {
    const watch = new WatchStream();
    try {
      watch.create({ key: bytes('/large/'), rangeEnd: bytes('/large0'), fragment: true });
      await watch.until('created', (received) => received.length >= 1);
      const value = Buffer.alloc(700 * 1024, 0x62);
      const puts = ['/large/1', '/large/2', '/large/3'].map((key) => ({ requestPut: PutRequest.fromPartial({ key: bytes(key), value }) }));
      await call(clients.kv.txn.bind(clients.kv), TxnRequest.fromPartial({ success: puts }));
      const responses = await watch.until('the last fragment', (received) => received.length >= 2 && received.at(-1)?.fragment === false);
      const fragments = responses.slice(1);
      expect(fragments.length).toBeGreaterThan(1);
      expect(fragments.map((response) => response.fragment)).toEqual([...fragments.slice(1).map(() => true), false]);
      expect(fragments.flatMap((response) => response.events.map((event) => text(event.kv?.key)))).toEqual(['/large/1', '/large/2', '/large/3']);
      expect(new Set(fragments.map((response) => response.header?.revision)).size).toBe(1);
    } finally {
      watch.close();
    }
  });

  it('names the last event\'s revision in each page of replayed history, so resuming after it loses nothing', async () => {
    const eventsCount = 700;
    const start = (await put('/history/start', 'marker')) + 1n;
    for (let first = 0; first < eventsCount; first += 50) {
      await Promise.all(Array.from({ length: 50 }, (_unused, offset) => put(`/history/${first + offset}`, 'v')));
    }
    const watch = new WatchStream();
    try {
      watch.create({ key: bytes('/history/'), rangeEnd: bytes('/history0'), startRevision: start });
      const responses = await watch.until('every replayed event', (received) => received.reduce((sum, response) => sum + response.events.length, 0) >= eventsCount);
      const withEvents = responses.filter((response) => response.events.length > 0);
      expect(withEvents.length).toBeGreaterThan(1);
      for (const response of withEvents) expect(response.header?.revision).toBe(response.events.at(-1)?.kv?.modRevision);
      const revisions = withEvents.flatMap((response) => response.events.map((event) => event.kv?.modRevision ?? 0n));
      expect(revisions).toEqual([...revisions].sort((left, right) => (left < right ? -1 : left > right ? 1 : 0)));
      expect(new Set(revisions).size).toBe(eventsCount);
    } finally {
      watch.close();
    }
  }, 60_000);
});
