// Watch and lease calls of the native service against a real 3-member cluster: watches on a
// follower see writes made through another member, in order, replayed from an old revision;
// a compacted start is refused with the compact revision; leases expire, renew over the
// keep-alive stream, and take their keys with them when revoked.
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LeaseGrantRequest,
  type LeaseGrantResponse,
  LeaseKeepAliveRequest,
  type LeaseKeepAliveResponse,
  type LeaseListResponse,
  LeaseRevokeRequest,
  LeaseTimeToLiveRequest,
  type LeaseTimeToLiveResponse,
} from '../../src/generated/beavervault/v1/cluster.js';
import { DeleteRequest, GetRequest, type KVClient, PutRequest, type PutResponse, WatchRequest } from '../../src/generated/beavervault/v1/kv.js';
import { Consistency, type DeepPartial, EventType } from '../../src/generated/beavervault/v1/types.js';
import { request, TestCluster, waitFor } from '../cluster/cluster-harness.js';
import { bytes, callOptions, Metadata, nativeClient, readUntil, refusal, text, unary, watchEvents } from './native-client.js';

describe('native gRPC watch and lease calls on a 3-member cluster', { timeout: 90_000 }, () => {
  let cluster: TestCluster;
  let writer: KVClient;
  let watcher: KVClient;

  const put = (client: KVClient, message: DeepPartial<PutRequest>): Promise<PutResponse> =>
    unary((done) => client.put(PutRequest.fromPartial(message), new Metadata(), callOptions(), done));
  const watch = (message: DeepPartial<WatchRequest>) => watcher.watch(WatchRequest.fromPartial(message), new Metadata(), callOptions());
  const grant = (ttlSeconds: bigint): Promise<LeaseGrantResponse> =>
    unary((done) => writer.leaseGrant(LeaseGrantRequest.fromPartial({ ttlSeconds }), new Metadata(), callOptions(), done));
  const deleteKey = (key: string): Promise<unknown> =>
    unary((done) => writer.delete(DeleteRequest.fromPartial({ key: bytes(key) }), new Metadata(), callOptions(), done));
  const timeToLive = (id: bigint, keys = false): Promise<LeaseTimeToLiveResponse> =>
    unary((done) => watcher.leaseTimeToLive(LeaseTimeToLiveRequest.fromPartial({ id, keys }), new Metadata(), callOptions(), done));

  beforeAll(async () => {
    cluster = await TestCluster.start({ size: 3, prefix: 'grpc-watch' });
    const leader = await cluster.leader();
    const followers = cluster.members.filter((member) => member !== leader);
    writer = nativeClient(leader.grpcAddress);
    watcher = nativeClient((followers[0] ?? leader).grpcAddress);
  }, 60_000);

  afterAll(async () => {
    writer?.close();
    watcher?.close();
    await cluster?.destroy();
  });

  it('streams the puts and deletes under a prefix in revision order, with previous values', async () => {
    const before = await put(writer, { key: bytes('unwatched'), value: bytes('start') });
    const events = watchEvents(watch({ key: bytes('watched/'), prefix: true, prevKv: true, startRevision: before.header!.revision + 1n }), 3);
    await put(writer, { key: bytes('watched/a'), value: bytes('1') });
    await put(writer, { key: bytes('unwatched'), value: bytes('x') });
    await put(writer, { key: bytes('watched/a'), value: bytes('2') });
    await deleteKey('watched/a');
    const received = await events;
    expect(received.map((event) => [event.type, text(event.kv?.key), text(event.kv?.value), text(event.prevKv?.value)])).toEqual([
      [EventType.EVENT_TYPE_PUT, 'watched/a', '1', undefined],
      [EventType.EVENT_TYPE_PUT, 'watched/a', '2', '1'],
      [EventType.EVENT_TYPE_DELETE, 'watched/a', '', '2'],
    ]);
    const revisions = received.map((event) => event.kv?.modRevision ?? 0n);
    expect(revisions[0]! < revisions[1]! && revisions[1]! < revisions[2]!).toBe(true);
  });

  it('replays history from an old revision, filters out deletes when asked, and names the last event\'s revision in each header', async () => {
    const first = await put(writer, { key: bytes('replay/k'), value: bytes('r1') });
    await put(writer, { key: bytes('replay/k'), value: bytes('r2') });
    await deleteKey('replay/k');
    await put(writer, { key: bytes('replay/k'), value: bytes('r3') });
    await put(writer, { key: bytes('replay/elsewhere'), value: bytes('moves the store revision past the last event') });
    const responses = await readUntil(watch({ key: bytes('replay/k'), startRevision: first.header!.revision, noDelete: true }), (received) =>
      received.reduce((total, response) => total + response.events.length, 0) >= 3,
    );
    // Each response names its last event's revision, so resuming from header.revision + 1 skips nothing.
    for (const response of responses) expect(response.header?.revision).toBe(response.events[response.events.length - 1]?.kv?.modRevision);
    const events = responses.flatMap((response) => response.events);
    expect(events.map((event) => [event.type, text(event.kv?.value)])).toEqual([
      [EventType.EVENT_TYPE_PUT, 'r1'],
      [EventType.EVENT_TYPE_PUT, 'r2'],
      [EventType.EVENT_TYPE_PUT, 'r3'],
    ]);
  });

  it('sends an idle watch that asked for progress an empty response with the current revision', async () => {
    const latest = await put(writer, { key: bytes('elsewhere'), value: bytes('moves the revision') });
    const [progress] = await readUntil(watch({ key: bytes('quiet/'), prefix: true, progressNotify: true }), () => true);
    expect(progress?.events).toEqual([]);
    expect(progress?.header?.revision).toBeGreaterThanOrEqual(latest.header!.revision);
  });

  it('refuses a watch from a compacted revision with OUT_OF_RANGE and the compact revision', async () => {
    const old = await put(writer, { key: bytes('compacted/k'), value: bytes('old') });
    const latest = await put(writer, { key: bytes('compacted/k'), value: bytes('new') });
    const leader = await cluster.leader();
    const compacted = await request(leader.url, 'POST', '/api/v1/admin/compact', { revision: Number(latest.header!.revision) });
    expect(compacted.status).toBe(200);
    // The compaction is applied on the watching follower a moment after the leader answered.
    const oldRead = (): Promise<unknown> =>
      unary((done) =>
        watcher.get(GetRequest.fromPartial({ key: bytes('compacted/k'), revision: old.header!.revision, consistency: Consistency.CONSISTENCY_SERIALIZABLE }), new Metadata(), callOptions(), done),
      );
    await waitFor('the follower to apply the compaction', 10_000, () => oldRead().then(() => undefined, () => true));
    const read = await refusal(oldRead());
    expect(read.code).toBe(status.OUT_OF_RANGE);
    const error = await refusal(watchEvents(watch({ key: bytes('compacted/k'), startRevision: old.header!.revision }), 1));
    expect(error.code).toBe(status.OUT_OF_RANGE);
    expect(error.errorCode).toBe('MVCC_COMPACTED');
    expect(error.details).toBe('etcdserver: mvcc: required revision has been compacted');
    expect(error.metadata.get('bvault-compact-revision')[0]).toBe(String(latest.header!.revision));
  });

  it('grants a lease, lists it, reports its time to live with its keys, and revokes it with its keys', async () => {
    const lease = await grant(60n);
    expect(lease.ttlSeconds).toBe(60n);
    await put(writer, { key: bytes('leased/a'), value: bytes('1'), lease: lease.id });
    const live = await timeToLive(lease.id, true);
    expect(live.grantedTtlSeconds).toBe(60n);
    expect(live.ttlSeconds).toBeGreaterThan(50n);
    expect(live.keys.map((key) => text(key))).toEqual(['leased/a']);
    const listed = await unary<LeaseListResponse>((done) => watcher.leaseList({}, new Metadata(), callOptions(), done));
    expect(listed.leases.map((entry) => entry.id)).toContain(lease.id);
    await unary((done) => writer.leaseRevoke(LeaseRevokeRequest.fromPartial({ id: lease.id }), new Metadata(), callOptions(), done));
    const gone = await refusal(unary((done) => watcher.get(GetRequest.fromPartial({ key: bytes('leased/a') }), new Metadata(), callOptions(), done)));
    expect(gone.code).toBe(status.NOT_FOUND);
  });

  it('keeps a short lease alive over the keep-alive stream past its TTL, from a follower', async () => {
    const lease = await grant(2n);
    await put(writer, { key: bytes('kept/a'), value: bytes('1'), lease: lease.id });
    const stream = watcher.leaseKeepAlive(new Metadata(), callOptions());
    const answers: LeaseKeepAliveResponse[] = [];
    stream.on('data', (answer: LeaseKeepAliveResponse) => answers.push(answer));
    const ended = new Promise((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    for (let round = 0; round < 6; round++) {
      stream.write(LeaseKeepAliveRequest.fromPartial({ id: lease.id }));
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    stream.end();
    await ended;
    expect(answers.length).toBe(6);
    expect(answers.every((answer) => answer.id === lease.id && answer.ttlSeconds === 2n)).toBe(true);
    // 4.2 s after a 2 s grant: only the renewals kept the key.
    const read = await unary<{ kv?: { value: Uint8Array } }>((done) => watcher.get(GetRequest.fromPartial({ key: bytes('kept/a') }), new Metadata(), callOptions(), done));
    expect(text(read.kv?.value)).toBe('1');
  });

  it('answers a keep-alive of an unknown lease with TTL 0 and refuses other calls on it with NOT_FOUND', async () => {
    const unknown = 987_654_321n;
    const answers = await new Promise<LeaseKeepAliveResponse[]>((resolve, reject) => {
      const stream = writer.leaseKeepAlive(new Metadata(), callOptions());
      const received: LeaseKeepAliveResponse[] = [];
      stream.on('data', (answer: LeaseKeepAliveResponse) => received.push(answer));
      stream.on('end', () => resolve(received));
      stream.on('error', reject);
      stream.write(LeaseKeepAliveRequest.fromPartial({ id: unknown }));
      stream.end();
    });
    expect(answers.map((answer) => answer.ttlSeconds)).toEqual([0n]);
    const leasesBefore = await unary<LeaseListResponse>((done) => writer.leaseList({}, new Metadata(), callOptions(), done));
    const revoke = await refusal(unary((done) => writer.leaseRevoke(LeaseRevokeRequest.fromPartial({ id: unknown }), new Metadata(), callOptions(), done)));
    expect(revoke.code).toBe(status.NOT_FOUND);
    expect(revoke.details).toBe('etcdserver: requested lease not found: lease 987654321 (0x3ade68b1)');
    const attach = await refusal(put(writer, { key: bytes('orphan'), value: bytes('x'), lease: unknown }));
    expect(attach.code).toBe(status.NOT_FOUND);
    expect(attach.errorCode).toBe('MVCC_LEASE_NOT_FOUND');
    const ttl = await refusal(timeToLive(unknown));
    expect(ttl.code).toBe(status.NOT_FOUND);
    const leasesAfter = await unary<LeaseListResponse>((done) => writer.leaseList({}, new Metadata(), callOptions(), done));
    expect(leasesAfter.leases).toEqual(leasesBefore.leases);
    expect(leasesAfter.header?.revision).toBe(leasesBefore.header?.revision);
    const orphan = await refusal(unary((done) => writer.get(GetRequest.fromPartial({ key: bytes('orphan') }), new Metadata(), callOptions(), done)));
    expect(orphan.code).toBe(status.NOT_FOUND);
  });
});
