// The native key calls against a real 3-member cluster: Put, Get and Delete with metadata and
// conditions, the batch calls, paged listing and both transaction forms. Writes go to one
// member and reads to another, so every answer crossed Raft.
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consistency, type DeepPartial } from '../../src/generated/beavervault/v1/types.js';
import { OperationType, TransactionRequest, type TransactionResponse } from '../../src/generated/beavervault/v1/transaction.js';
import {
  BatchGetRequest,
  BatchPutRequest,
  DeleteRequest,
  GetRequest,
  ListRequest,
  type KVClient,
  PutRequest,
  type GetResponse,
  type ListResponse,
  type PutResponse,
} from '../../src/generated/beavervault/v1/kv.js';
import { TestCluster } from '../cluster/cluster-harness.js';
import { bytes, callOptions, Metadata, nativeClient, refusal, text, unary } from './native-client.js';

describe('native gRPC key calls on a 3-member cluster', { timeout: 90_000 }, () => {
  let cluster: TestCluster;
  let writer: KVClient;
  let reader: KVClient;

  const put = (client: KVClient, request: DeepPartial<PutRequest>): Promise<PutResponse> =>
    unary((done) => client.put(PutRequest.fromPartial(request), new Metadata(), callOptions(), done));
  const get = (client: KVClient, request: DeepPartial<GetRequest>): Promise<GetResponse> =>
    unary((done) => client.get(GetRequest.fromPartial(request), new Metadata(), callOptions(), done));
  const list = (request: DeepPartial<ListRequest>): Promise<ListResponse> => unary((done) => reader.list(ListRequest.fromPartial(request), new Metadata(), callOptions(), done));
  const transaction = (request: DeepPartial<TransactionRequest>): Promise<TransactionResponse> =>
    unary((done) => writer.transaction(TransactionRequest.fromPartial(request), new Metadata(), callOptions(), done));

  beforeAll(async () => {
    cluster = await TestCluster.start({ size: 3, prefix: 'grpc-keys' });
    const leader = await cluster.leader();
    const followers = cluster.members.filter((member) => member !== leader);
    writer = nativeClient((followers[0] ?? leader).grpcAddress);
    reader = nativeClient((followers[1] ?? leader).grpcAddress);
  }, 60_000);

  afterAll(async () => {
    writer?.close();
    reader?.close();
    await cluster?.destroy();
  });

  it('stores a value with its content type and tags and reads it back linearizably from another member', async () => {
    const written = await put(writer, { key: bytes('profile/ada'), value: bytes('{"name":"Ada"}'), contentType: 'application/json', tags: { owner: 'ops', tier: 'gold' } });
    const read = await get(reader, { key: bytes('profile/ada') });
    expect(text(read.kv?.value)).toBe('{"name":"Ada"}');
    expect(read.kv?.metadata?.contentType).toBe('application/json');
    expect(read.kv?.metadata?.tags).toEqual({ owner: 'ops', tier: 'gold' });
    expect(read.kv?.modRevision).toBe(written.header?.revision);
    expect(read.kv?.version).toBe(1n);
    expect(read.kv?.metadata?.createdAtMs).toBeGreaterThan(0n);
    expect(read.header?.clusterId).toBe(BigInt(`0x${(await cluster.members[0]!.status()).clusterId}`));
    expect(read.header?.leaderId).not.toBe(0n);
    expect(read.header?.raftTerm).toBeGreaterThan(0n);
  });

  it('answers NOT_FOUND with API_KEY_NOT_FOUND for a key that does not exist', async () => {
    const error = await refusal(get(reader, { key: bytes('missing/key') }));
    expect(error.code).toBe(status.NOT_FOUND);
    expect(error.errorCode).toBe('API_KEY_NOT_FOUND');
  });

  it('reads an older revision and serves a serializable read locally', async () => {
    const first = await put(writer, { key: bytes('history/k'), value: bytes('one') });
    await put(writer, { key: bytes('history/k'), value: bytes('two') });
    const old = await get(reader, { key: bytes('history/k'), revision: first.header!.revision });
    expect(text(old.kv?.value)).toBe('one');
    const latest = await get(writer, { key: bytes('history/k'), consistency: Consistency.CONSISTENCY_SERIALIZABLE });
    expect(text(latest.kv?.value)).toBe('two');
  });

  it('applies a conditional put only when its condition holds, and says why not otherwise', async () => {
    await put(writer, { key: bytes('cas/k'), value: bytes('v1') });
    const refused = await refusal(put(writer, { key: bytes('cas/k'), value: bytes('v2'), conditions: [{ ifVersionMatch: 5n }] }));
    expect(refused.code).toBe(status.FAILED_PRECONDITION);
    expect(refused.errorCode).toBe('API_PRECONDITION_FAILED');
    expect(refused.details).toContain('version 1');
    expect(text((await get(reader, { key: bytes('cas/k') })).kv?.value)).toBe('v1');
    await put(writer, { key: bytes('cas/k'), value: bytes('v2'), conditions: [{ ifVersionMatch: 1n }, { ifValueMatch: bytes('v1') }] });
    expect(text((await get(reader, { key: bytes('cas/k') })).kv?.value)).toBe('v2');
    const created = await refusal(put(writer, { key: bytes('cas/k'), value: bytes('v3'), conditions: [{ ifNotExists: true }] }));
    expect(created.code).toBe(status.FAILED_PRECONDITION);
  });

  it('returns the previous value of a put and attaches a TTL lease that the key dies with', async () => {
    await put(writer, { key: bytes('prev/k'), value: bytes('before') });
    const answer = await put(writer, { key: bytes('prev/k'), value: bytes('after'), prevKv: true, ttlSeconds: 60n });
    expect(text(answer.prevKv?.value)).toBe('before');
    expect(answer.lease).toBeGreaterThan(0n);
    expect((await get(reader, { key: bytes('prev/k') })).kv?.lease).toBe(answer.lease);
  });

  it('deletes one key or a whole prefix and reports what it removed', async () => {
    for (const name of ['a', 'b', 'c']) await put(writer, { key: bytes(`trash/${name}`), value: bytes(name) });
    const one = await unary<{ deleted: bigint }>((done) => writer.delete(DeleteRequest.fromPartial({ key: bytes('trash/a') }), new Metadata(), callOptions(), done));
    expect(one.deleted).toBe(1n);
    const rest = await unary<{ deleted: bigint; prevKvs: { value: Uint8Array }[] }>((done) =>
      writer.delete(DeleteRequest.fromPartial({ key: bytes('trash/'), prefix: true, prevKv: true }), new Metadata(), callOptions(), done),
    );
    expect(rest.deleted).toBe(2n);
    expect(rest.prevKvs.map((kv) => text(kv.value))).toEqual(['b', 'c']);
    expect((await list({ prefix: bytes('trash/') })).kvs).toHaveLength(0);
  });

  it('writes a batch under one revision and reads a batch at one revision, missing keys included', async () => {
    const items = ['x', 'y', 'z'].map((name) => ({ key: bytes(`batch/${name}`), value: bytes(name.toUpperCase()), contentType: 'text/plain' }));
    const written = await unary<{ header?: { revision: bigint }; count: bigint }>((done) =>
      writer.batchPut(BatchPutRequest.fromPartial({ items }), new Metadata(), callOptions(), done),
    );
    expect(written.count).toBe(3n);
    const read = await unary<{ results: { key: Uint8Array; found: boolean; kv?: { value: Uint8Array; modRevision: bigint } }[] }>((done) =>
      reader.batchGet(BatchGetRequest.fromPartial({ keys: [bytes('batch/x'), bytes('batch/none'), bytes('batch/z')] }), new Metadata(), callOptions(), done),
    );
    expect(read.results.map((result) => [text(result.key), result.found, text(result.kv?.value)])).toEqual([
      ['batch/x', true, 'X'],
      ['batch/none', false, undefined],
      ['batch/z', true, 'Z'],
    ]);
    expect(new Set(read.results.filter((result) => result.found).map((result) => result.kv?.modRevision))).toEqual(new Set([written.header?.revision]));
  });

  it('lists a prefix page by page at the first page\'s revision while writes continue', async () => {
    for (let index = 0; index < 7; index++) await put(writer, { key: bytes(`page/${index}`), value: bytes(`v${index}`) });
    const seen: string[] = [];
    let page = await list({ prefix: bytes('page/'), limit: 3n });
    expect(page.count).toBe(7n);
    await put(writer, { key: bytes('page/9-late'), value: bytes('late') });
    for (;;) {
      seen.push(...page.kvs.map((kv) => text(kv.key) ?? ''));
      if (page.nextCursor.length === 0) break;
      page = await list({ prefix: bytes('page/'), limit: 3n, cursor: page.nextCursor });
    }
    expect(seen).toEqual(['page/0', 'page/1', 'page/2', 'page/3', 'page/4', 'page/5', 'page/6']);
    const cursorElsewhere = await refusal(list({ prefix: bytes('other/'), cursor: (await list({ prefix: bytes('page/'), limit: 1n })).nextCursor }));
    expect(cursorElsewhere.code).toBe(status.INVALID_ARGUMENT);
  });

  it('runs the seeds\' transaction form: all operations when every condition holds, none otherwise', async () => {
    await put(writer, { key: bytes('user:123:profile'), value: bytes('old') });
    await put(writer, { key: bytes('user:123:temp_data'), value: bytes('temp') });
    const operations = [
      { type: OperationType.OPERATION_TYPE_PUT, key: bytes('user:123:profile'), value: bytes('{"name":"John Doe"}'), conditions: [{ ifVersionMatch: 1n }] },
      { type: OperationType.OPERATION_TYPE_DELETE, key: bytes('user:123:temp_data') },
      { type: OperationType.OPERATION_TYPE_PUT, key: bytes('user:123:last_login'), value: bytes('2024-01-15T10:30:00Z'), ttlSeconds: 86_400n },
      { type: OperationType.OPERATION_TYPE_GET, key: bytes('user:123:profile') },
    ];
    const applied = await transaction({ operations });
    expect(applied.succeeded).toBe(true);
    expect(applied.responses[1]?.delete?.deleted).toBe(1n);
    expect(applied.responses[2]?.put?.lease).toBeGreaterThan(0n);
    expect(text(applied.responses[3]?.range?.kvs[0]?.value)).toBe('{"name":"John Doe"}');
    const revisionAfter = applied.header!.revision;
    const refused = await transaction({ operations: [{ ...operations[0]!, value: bytes('again') }, operations[2]!] });
    expect(refused.succeeded).toBe(false);
    expect(refused.header?.revision).toBe(revisionAfter);
    expect(text((await get(reader, { key: bytes('user:123:profile') })).kv?.value)).toBe('{"name":"John Doe"}');
  });

  it('runs the etcd transaction form with compare, success and failure branches', async () => {
    await put(writer, { key: bytes('etcd-form/k'), value: bytes('1') });
    const compare = [{ key: bytes('etcd-form/k'), value: bytes('1') }];
    const success = [{ put: { key: bytes('etcd-form/k'), value: bytes('2'), prevKv: true } }];
    const failure = [{ range: { key: bytes('etcd-form/k') } }];
    const first = await transaction({ compare, success, failure });
    expect(first.succeeded).toBe(true);
    expect(text(first.responses[0]?.put?.prevKv?.value)).toBe('1');
    const second = await transaction({ compare, success, failure });
    expect(second.succeeded).toBe(false);
    expect(text(second.responses[0]?.range?.kvs[0]?.value)).toBe('2');
  });

  it('refuses a transaction that mixes both forms or writes one key twice, and changes nothing', async () => {
    const before = (await get(reader, { key: bytes('etcd-form/k') })).header!.revision;
    const mixed = await refusal(transaction({ operations: [{ key: bytes('m'), value: bytes('v') }], success: [{ put: { key: bytes('m'), value: bytes('v') } }] }));
    expect(mixed.code).toBe(status.INVALID_ARGUMENT);
    const twice = await refusal(transaction({ success: [{ put: { key: bytes('dup'), value: bytes('1') } }, { put: { key: bytes('dup'), value: bytes('2') } }] }));
    expect(twice.code).toBe(status.INVALID_ARGUMENT);
    expect(twice.errorCode).toBe('MVCC_DUPLICATE_KEY_IN_TXN');
    expect((await get(reader, { key: bytes('etcd-form/k') })).header?.revision).toBe(before);
  });
});
