// Watches across failures on a real 3-member cluster, through the native service alone: a
// watch on a follower keeps delivering when the leader is killed mid-stream, and a watch cut
// by its member's restart resumes on the restarted member from the last revision it saw,
// with no event lost and none repeated. Only acknowledged writes are promised; writes that
// failed may or may not have committed, so they may or may not appear.
import { type ClientReadableStream, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KVClient, PutRequest, type PutResponse, WatchRequest, type WatchResponse } from '../../src/generated/beavervault/v1/kv.js';
import type { Event } from '../../src/generated/beavervault/v1/types.js';
import { sleep, TestCluster, waitFor } from '../cluster/cluster-harness.js';
import { bytes, Metadata, nativeClient, text, unary } from './native-client.js';

const WRITE_DEADLINE_MS = 3_000;

/** One writer that puts fo/0, fo/1, ... through `client()` in order and remembers what was acknowledged. */
class SequentialWriter {
  /** Key → revision of every acknowledged put. */
  readonly acknowledged = new Map<string, bigint>();
  private running = true;
  private readonly loop: Promise<void>;

  constructor(private readonly client: () => KVClient) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    for (let sequence = 0; this.running; sequence++) {
      const key = `fo/${String(sequence).padStart(6, '0')}`;
      try {
        const answer = await unary<PutResponse>((done) =>
          this.client().put(PutRequest.fromPartial({ key: bytes(key), value: bytes(String(sequence)) }), new Metadata(), { deadline: Date.now() + WRITE_DEADLINE_MS }, done),
        );
        this.acknowledged.set(key, answer.header!.revision);
      } catch {
        await sleep(100);
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** Collects a watch's events; `closed` resolves with the status code the stream ended with. */
class WatchLog {
  readonly events: Event[] = [];
  readonly closed: Promise<number>;

  constructor(readonly stream: ClientReadableStream<WatchResponse>) {
    stream.on('data', (response: WatchResponse) => this.events.push(...response.events));
    this.closed = new Promise((resolve) => {
      stream.on('error', (error: ServiceError) => resolve(error.code));
      stream.on('end', () => resolve(status.OK));
    });
  }

  get lastRevision(): bigint {
    return this.events[this.events.length - 1]?.kv?.modRevision ?? 0n;
  }
}

function watchFrom(client: KVClient, startRevision: bigint): WatchLog {
  return new WatchLog(client.watch(WatchRequest.fromPartial({ key: bytes('fo/'), prefix: true, startRevision }), new Metadata()));
}

/** No revision twice and none out of order; every acknowledged write present with its revision. */
function expectEveryAcknowledgedWriteOnce(events: readonly Event[], acknowledged: ReadonlyMap<string, bigint>): void {
  const revisions = events.map((event) => event.kv?.modRevision ?? 0n);
  expect(revisions.every((revision, index) => index === 0 || revision > revisions[index - 1]!)).toBe(true);
  const seen = new Map(events.map((event) => [text(event.kv?.key) ?? '', event.kv?.modRevision]));
  const missing = [...acknowledged].filter(([key, revision]) => seen.get(key) !== revision);
  expect(missing).toEqual([]);
}

describe('native gRPC watches across failures on a 3-member cluster', { timeout: 90_000 }, () => {
  let cluster: TestCluster;
  const clients: KVClient[] = [];
  const clientFor = (address: string): KVClient => {
    const client = nativeClient(address);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    cluster = await TestCluster.start({ size: 3, prefix: 'grpc-failover' });
    await cluster.leader();
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await cluster?.destroy();
  });

  it('keeps a follower\'s watch delivering every acknowledged write when the leader is killed mid-stream', async () => {
    const leader = await cluster.leader();
    const [watched, written] = cluster.members.filter((member) => member !== leader) as [typeof leader, typeof leader];
    const writerClient = clientFor(written.grpcAddress);
    const start = await unary<PutResponse>((done) => writerClient.put(PutRequest.fromPartial({ key: bytes('marker'), value: bytes('start') }), new Metadata(), done));
    const log = watchFrom(clientFor(watched.grpcAddress), start.header!.revision + 1n);
    const writer = new SequentialWriter(() => writerClient);
    await waitFor('writes before the kill', 10_000, () => (writer.acknowledged.size >= 20 ? true : undefined));
    await leader.kill();
    const countAtKill = writer.acknowledged.size;
    await waitFor('writes after a new leader was elected', 20_000, () => (writer.acknowledged.size >= countAtKill + 20 ? true : undefined));
    await writer.stop();
    const lastAcknowledged = [...writer.acknowledged.values()].reduce((highest, revision) => (revision > highest ? revision : highest), 0n);
    await waitFor('the watch to reach the last acknowledged write', 10_000, () => (log.lastRevision >= lastAcknowledged ? true : undefined));
    log.stream.cancel();
    expectEveryAcknowledgedWriteOnce(log.events, writer.acknowledged);
    leader.start();
    await leader.waitUntilReady();
  });

  it('resumes a watch on a restarted member from the last revision it saw, losing and repeating nothing', async () => {
    const leader = await cluster.leader();
    const watched = cluster.members.find((member) => member !== leader)!;
    const writerClient = clientFor(leader.grpcAddress);
    const start = await unary<PutResponse>((done) => writerClient.put(PutRequest.fromPartial({ key: bytes('marker'), value: bytes('restart') }), new Metadata(), done));
    const first = watchFrom(clientFor(watched.grpcAddress), start.header!.revision + 1n);
    const writer = new SequentialWriter(() => writerClient);
    await waitFor('events on the first watch', 10_000, () => (first.events.length >= 10 ? true : undefined));
    await watched.terminate();
    expect(await first.closed).toBe(status.UNAVAILABLE);
    const countAtStop = writer.acknowledged.size;
    await waitFor('writes while the watched member is down', 10_000, () => (writer.acknowledged.size >= countAtStop + 20 ? true : undefined));
    watched.start();
    await watched.waitUntilReady();
    const resumed = watchFrom(clientFor(watched.grpcAddress), first.lastRevision + 1n);
    await sleep(500);
    await writer.stop();
    const lastAcknowledged = [...writer.acknowledged.values()].reduce((highest, revision) => (revision > highest ? revision : highest), 0n);
    await waitFor('the resumed watch to reach the last acknowledged write', 10_000, () => (resumed.lastRevision >= lastAcknowledged ? true : undefined));
    resumed.stream.cancel();
    expectEveryAcknowledgedWriteOnce([...first.events, ...resumed.events], writer.acknowledged);
  });
});
