// The etcd KV service at the wire level: every Range filter, Put's prev_kv, ignore_value and
// ignore_lease, DeleteRange's prev_kv, and Txn compares on each target with a nested txn.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Compare, DeleteRangeRequest, PutRequest, RangeRequest, TxnRequest } from '../../src/generated/etcd/etcdserverpb/rpc.js';
import { TestCluster } from '../cluster/cluster-harness.js';
import { call, type EtcdClients, etcdClients } from './etcd-grpc-client.js';

let cluster: TestCluster;
let clients: EtcdClients;

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 3, prefix: 'etcd-kv' });
  clients = etcdClients(cluster.member('n1'));
}, 60_000);

afterAll(async () => {
  clients?.close();
  await cluster?.destroy();
});

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
const text = (value: Uint8Array | undefined): string => Buffer.from(value ?? new Uint8Array()).toString('utf8');

const put = (fields: Partial<PutRequest>) => call(clients.kv.put.bind(clients.kv), PutRequest.fromPartial(fields));
const range = (fields: Partial<RangeRequest>) => call(clients.kv.range.bind(clients.kv), RangeRequest.fromPartial(fields));
const txn = (fields: Partial<TxnRequest>) => call(clients.kv.txn.bind(clients.kv), TxnRequest.fromPartial(fields));

describe('the etcd KV service', () => {
  it('filters a range by mod and create revision, counts, limits and returns keys only', async () => {
    const first = (await put({ key: bytes('/r/a'), value: bytes('1') })).header?.revision ?? 0n;
    const second = (await put({ key: bytes('/r/b'), value: bytes('2') })).header?.revision ?? 0n;
    await put({ key: bytes('/r/a'), value: bytes('1b') });
    const all = { key: bytes('/r/'), rangeEnd: bytes('/r0') };
    const keys = async (fields: Partial<RangeRequest>): Promise<string[]> => (await range({ ...all, ...fields })).kvs.map((kv) => text(kv.key));
    expect(await keys({ minModRevision: second + 1n })).toEqual(['/r/a']);
    expect(await keys({ maxModRevision: second })).toEqual(['/r/b']);
    expect(await keys({ minCreateRevision: second })).toEqual(['/r/b']);
    expect(await keys({ maxCreateRevision: first })).toEqual(['/r/a']);
    const counted = await range({ ...all, countOnly: true });
    expect({ count: counted.count, kvs: counted.kvs }).toEqual({ count: 2n, kvs: [] });
    const limited = await range({ ...all, limit: 1n });
    expect({ more: limited.more, count: limited.count, keys: limited.kvs.map((kv) => text(kv.key)) }).toEqual({ more: true, count: 2n, keys: ['/r/a'] });
    const keysOnly = await range({ ...all, keysOnly: true });
    expect(keysOnly.kvs.map((kv) => [text(kv.key), kv.value.byteLength])).toEqual([['/r/a', 0], ['/r/b', 0]]);
    const sorted = await range({ ...all, sortOrder: 2, sortTarget: 4 });
    expect(sorted.kvs.map((kv) => text(kv.value))).toEqual(['2', '1b']);
    const past = await range({ key: bytes('/r/a'), revision: first });
    expect(past.kvs.map((kv) => [text(kv.value), kv.version, kv.createRevision, kv.modRevision])).toEqual([['1', 1n, first, first]]);
  });

  it('puts with prev_kv, ignore_value and ignore_lease, and deletes with prev_kv', async () => {
    const lease = await call(clients.lease.leaseGrant.bind(clients.lease), { TTL: 60n, ID: 0n });
    await put({ key: bytes('/p/k'), value: bytes('original'), lease: lease.ID });
    const kept = await put({ key: bytes('/p/k'), ignoreValue: true, ignoreLease: true, prevKv: true });
    expect([text(kept.prevKv?.value), kept.prevKv?.lease]).toEqual(['original', lease.ID]);
    const [stored] = (await range({ key: bytes('/p/k') })).kvs;
    expect([text(stored?.value), stored?.lease, stored?.version]).toEqual(['original', lease.ID, 2n]);
    const deleted = await call(clients.kv.deleteRange.bind(clients.kv), DeleteRangeRequest.fromPartial({ key: bytes('/p/k'), prevKv: true }));
    expect([deleted.deleted, deleted.prevKvs.map((kv) => text(kv.value))]).toEqual([1n, ['original']]);
    await call(clients.lease.leaseRevoke.bind(clients.lease), { ID: lease.ID });
  });

  it('evaluates compares on value, version, create and mod revision and lease, and runs a nested txn', async () => {
    const created = (await put({ key: bytes('/t/k'), value: bytes('v') })).header?.revision ?? 0n;
    const compares: Compare[] = [
      { result: 0, target: 3, key: bytes('/t/k'), value: bytes('v'), rangeEnd: new Uint8Array() },
      { result: 0, target: 0, key: bytes('/t/k'), version: 1n, rangeEnd: new Uint8Array() },
      { result: 0, target: 1, key: bytes('/t/k'), createRevision: created, rangeEnd: new Uint8Array() },
      { result: 2, target: 2, key: bytes('/t/k'), modRevision: created + 1n, rangeEnd: new Uint8Array() },
      { result: 0, target: 4, key: bytes('/t/k'), lease: 0n, rangeEnd: new Uint8Array() },
    ];
    const nested = TxnRequest.fromPartial({
      compare: [{ result: 3, target: 3, key: bytes('/t/k'), value: bytes('v') }],
      success: [{ requestPut: PutRequest.fromPartial({ key: bytes('/t/nested'), value: bytes('never') }) }],
      failure: [{ requestPut: PutRequest.fromPartial({ key: bytes('/t/nested'), value: bytes('inner-failure') }) }],
    });
    const response = await txn({ compare: compares, success: [{ requestTxn: nested }, { requestRange: RangeRequest.fromPartial({ key: bytes('/t/nested') }) }] });
    expect(response.succeeded).toBe(true);
    expect(response.responses[0]?.responseTxn?.succeeded).toBe(false);
    expect(response.responses[1]?.responseRange?.kvs.map((kv) => text(kv.value))).toEqual(['inner-failure']);
    const failed = await txn({ compare: [{ ...compares[1]!, version: 5n }], failure: [{ requestRange: RangeRequest.fromPartial({ key: bytes('/t/k') }) }] });
    expect([failed.succeeded, failed.responses[0]?.responseRange?.count]).toEqual([false, 1n]);
  });
});
