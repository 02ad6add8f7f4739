// Bad requests to the etcd services get etcd's gRPC code and exact message, and change
// nothing: neither the revision nor any key moves.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutRequest, RangeRequest, TxnRequest, type WatchResponse } from '../../src/generated/etcd/etcdserverpb/rpc.js';
import { TestCluster, waitFor } from '../cluster/cluster-harness.js';
import { call, callError, type EtcdClients, etcdClients, rawCall } from './etcd-grpc-client.js';
import { etcdctlOk } from './etcdctl-runner.js';

const VALUE_BYTES_MAX = 64 * 1024;

let cluster: TestCluster;
let clients: EtcdClients;

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 3, prefix: 'etcd-bad-requests', extraArgs: ['--value-bytes-max', String(VALUE_BYTES_MAX)] });
  clients = etcdClients(await cluster.leader());
  await put('/bad/existing', 'kept');
}, 60_000);

afterAll(async () => {
  clients?.close();
  await cluster?.destroy();
});

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

async function put(key: string, value: string | Buffer, lease = 0n): Promise<void> {
  await call(clients.kv.put.bind(clients.kv), PutRequest.fromPartial({ key: bytes(key), value: typeof value === 'string' ? bytes(value) : value, lease }));
}

/** The store's revision and every key under /bad/ with its value. */
async function state(): Promise<{ revision: bigint; keys: string[] }> {
  const response = await call(clients.kv.range.bind(clients.kv), RangeRequest.fromPartial({ key: bytes('/bad/'), rangeEnd: bytes('/bad0') }));
  return { revision: response.header?.revision ?? -1n, keys: response.kvs.map((kv) => `${Buffer.from(kv.key).toString()}=${Buffer.from(kv.value).toString()}`) };
}

/** Runs a bad request and checks its code and message, and that the state did not change. */
async function expectRefused(pending: () => Promise<unknown>, code: GrpcStatus, message: string): Promise<void> {
  const before = await state();
  const error = await callError(pending());
  expect({ code: error.code, details: error.details }).toEqual({ code, details: message });
  expect(await state()).toEqual(before);
}

describe('bad requests to the etcd services', () => {
  it('refuses an oversized value as etcd does: request is too large', async () => {
    await expectRefused(() => put('/bad/huge', Buffer.alloc(VALUE_BYTES_MAX + 1, 0x61)), GrpcStatus.INVALID_ARGUMENT, 'etcdserver: request is too large');
  });

  it('refuses bytes that are not a protobuf message with INTERNAL, as grpc does for etcd', async () => {
    const before = await state();
    // Field 1 (key) announced as 127 bytes long, with 2 bytes following.
    const error = await rawCall(cluster.members[0]!, '/etcdserverpb.KV/Put', Buffer.from([0x0a, 0x7f, 0x61, 0x62]));
    expect(error?.code).toBe(GrpcStatus.INTERNAL);
    expect(await state()).toEqual(before);
  });

  it('refuses a put with an unknown lease and the revoke of an unknown lease: requested lease not found', async () => {
    await expectRefused(() => put('/bad/leased', 'x', 987_654_321n), GrpcStatus.NOT_FOUND, 'etcdserver: requested lease not found');
    await expectRefused(() => call(clients.lease.leaseRevoke.bind(clients.lease), { ID: 987_654_321n }), GrpcStatus.NOT_FOUND, 'etcdserver: requested lease not found');
  });

  it('refuses a txn that writes one key twice, too many operations and an empty key', async () => {
    const putOp = (key: string) => ({ requestPut: PutRequest.fromPartial({ key: bytes(key), value: bytes('v') }) });
    const txn = (success: ReturnType<typeof putOp>[]) => () => call(clients.kv.txn.bind(clients.kv), TxnRequest.fromPartial({ success }));
    await expectRefused(txn([putOp('/bad/twice'), putOp('/bad/twice')]), GrpcStatus.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request');
    const many = Array.from({ length: 129 }, (_unused, index) => putOp(`/bad/many/${index}`));
    await expectRefused(txn(many), GrpcStatus.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request');
    await expectRefused(() => put('', 'v'), GrpcStatus.INVALID_ARGUMENT, 'etcdserver: key is not provided');
  });

  // The node's quota monitor clears a NOSPACE alarm while the database is below 90 % of its
  // quota, so a raised alarm is only checked in the answers to the alarm calls themselves.
  it('raises and clears a NOSPACE alarm through the Alarm call', async () => {
    const member = cluster.members[0]!;
    const memberID = BigInt((await member.status()).id);
    const raised = await call(clients.maintenance.alarm.bind(clients.maintenance), { action: 1, memberID, alarm: 1 });
    expect(raised.alarms).toEqual([{ memberID, alarm: 1 }]);
    // As etcd, DEACTIVATE answers with the alarm it removed (none if the monitor was quicker).
    const cleared = await call(clients.maintenance.alarm.bind(clients.maintenance), { action: 2, memberID, alarm: 1 });
    expect(cleared.alarms.every((alarm) => alarm.memberID === memberID && alarm.alarm === 1)).toBe(true);
    expect(await etcdctlOk(cluster.members, ['alarm', 'list'])).toBe('');
  });

  it('refuses reads below the compact revision and beyond the current one, and cancels a watch from a compacted revision', async () => {
    await put('/bad/history', 'first');
    await put('/bad/history', 'second');
    const compactAt = (await state()).revision;
    await call(clients.kv.compact.bind(clients.kv), { revision: compactAt, physical: true });
    const rangeAt = (revision: bigint) => () => call(clients.kv.range.bind(clients.kv), RangeRequest.fromPartial({ key: bytes('/bad/history'), revision }));
    await expectRefused(rangeAt(compactAt - 1n), GrpcStatus.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted');
    await expectRefused(rangeAt(compactAt + 1000n), GrpcStatus.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision');

    const responses = await watchResponses({ key: bytes('/bad/history'), startRevision: compactAt - 1n }, 2);
    expect(responses[0]).toMatchObject({ created: true, canceled: false });
    expect(responses[1]).toMatchObject({ canceled: true, compactRevision: compactAt });
  });

  // Last: it stops two of the three members.
  it('answers UNAVAILABLE with etcd\'s "no leader" text when a member has lost its quorum, and changes nothing', async () => {
    const survivor = cluster.member('n3');
    const survivorClients = etcdClients(survivor);
    try {
      const before = await call(survivorClients.kv.range.bind(survivorClients.kv), RangeRequest.fromPartial({ key: bytes('/bad/'), rangeEnd: bytes('/bad0'), serializable: true }));
      await Promise.all(cluster.members.filter((member) => member !== survivor).map((member) => member.kill()));
      await waitFor('the survivor to notice it has no leader', 15_000, async () => ((await survivor.status()).leaderId === 0 ? true : undefined));
      const error = await callError(call(survivorClients.kv.put.bind(survivorClients.kv), PutRequest.fromPartial({ key: bytes('/bad/lonely'), value: bytes('v') })));
      expect({ code: error.code, details: error.details }).toEqual({ code: GrpcStatus.UNAVAILABLE, details: 'etcdserver: no leader' });
      const after = await call(survivorClients.kv.range.bind(survivorClients.kv), RangeRequest.fromPartial({ key: bytes('/bad/'), rangeEnd: bytes('/bad0'), serializable: true }));
      expect(after.kvs).toEqual(before.kvs);
      expect(after.header?.revision).toBe(before.header?.revision);
    } finally {
      survivorClients.close();
    }
  }, 40_000);
});

/** Opens a watch and collects its first `count` responses. */
function watchResponses(create: { key: Buffer; startRevision: bigint }, count: number): Promise<WatchResponse[]> {
  return new Promise((resolve, reject) => {
    const stream = clients.watch.watch();
    const received: WatchResponse[] = [];
    const timer = setTimeout(() => reject(new Error(`only ${received.length} watch responses arrived`)), 10_000);
    stream.on('data', (response: WatchResponse) => {
      received.push(response);
      if (received.length < count) return;
      clearTimeout(timer);
      stream.cancel();
      resolve(received);
    });
    stream.on('error', (error: { code?: number }) => {
      if (error.code !== GrpcStatus.CANCELLED) reject(error);
    });
    stream.write({ createRequest: { key: create.key, rangeEnd: Buffer.alloc(0), startRevision: create.startRevision, progressNotify: false, filters: [], prevKv: false, watchId: 0n, fragment: false } });
  });
}
