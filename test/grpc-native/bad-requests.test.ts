// Bad requests get the registry's gRPC status, the stable code, and change nothing: an
// oversized key or value, a message above the 32 MiB request limit, bytes that are not a
// protobuf message, a compacted revision. The member keeps serving after each, and at the end
// stops gracefully although a watch is open.
import { Client, credentials, type ServiceError, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetRequest, type GetResponse, type KVClient, PutRequest, type PutResponse, WatchRequest } from '../../src/generated/beavervault/v1/kv.js';
import { type DeepPartial } from '../../src/generated/beavervault/v1/types.js';
import { request, TestCluster } from '../cluster/cluster-harness.js';
import { bytes, callOptions, Metadata, nativeClient, refusal, text, unary } from './native-client.js';

const MEBIBYTE = 1024 * 1024;

describe('bad requests to the native gRPC service on a real member', { timeout: 90_000 }, () => {
  let cluster: TestCluster;
  let client: KVClient;

  const put = (message: DeepPartial<PutRequest>): Promise<PutResponse> => unary((done) => client.put(PutRequest.fromPartial(message), new Metadata(), callOptions(), done));
  const get = (message: DeepPartial<GetRequest>): Promise<GetResponse> => unary((done) => client.get(GetRequest.fromPartial(message), new Metadata(), callOptions(), done));
  /** The store revision and the probe key's value: what a refused request must leave alone. */
  const state = async (): Promise<[bigint | undefined, string | undefined]> => {
    const read = await get({ key: bytes('probe') });
    return [read.header?.revision, text(read.kv?.value)];
  };

  beforeAll(async () => {
    cluster = await TestCluster.start({ size: 1, prefix: 'grpc-bad' });
    client = nativeClient(cluster.members[0]!.grpcAddress);
    await put({ key: bytes('probe'), value: bytes('untouched') });
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await cluster?.destroy();
  });

  it('refuses a key above the key limit with INVALID_ARGUMENT', async () => {
    const before = await state();
    const refused = await refusal(put({ key: Buffer.alloc(1025, 0x61), value: bytes('v') }));
    expect(refused.code).toBe(status.INVALID_ARGUMENT);
    expect(refused.errorCode).toBe('MVCC_KEY_TOO_LARGE');
    expect(await state()).toEqual(before);
  });

  it('refuses a value above the value limit with INVALID_ARGUMENT', async () => {
    const before = await state();
    const refused = await refusal(put({ key: bytes('probe'), value: Buffer.alloc(17 * MEBIBYTE, 0x62) }));
    expect(refused.code).toBe(status.INVALID_ARGUMENT);
    expect(refused.errorCode).toBe('MVCC_VALUE_TOO_LARGE');
    expect(await state()).toEqual(before);
  });

  it('refuses a message above the 32 MiB request limit with RESOURCE_EXHAUSTED before decoding it', async () => {
    const before = await state();
    const refused = await refusal(put({ key: bytes('probe'), value: Buffer.alloc(33 * MEBIBYTE, 0x63) }));
    expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(refused.details).toMatch(/larger than max/);
    expect(await state()).toEqual(before);
  });

  it('answers bytes that are not a protobuf message with an error, and keeps serving', async () => {
    const before = await state();
    const raw = new Client(cluster.members[0]!.grpcAddress, credentials.createInsecure());
    try {
      // Field 1 (key) claims four gigabytes that never follow, then a field with wire type 7.
      const malformed = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0f]);
      const refused = await refusal(
        new Promise((resolve, reject) => {
          raw.makeUnaryRequest('/beavervault.v1.KV/Put', (message: Buffer) => message, (message: Buffer) => message, malformed, new Metadata(), callOptions(), (error, answer) =>
            error === null ? resolve(answer) : reject(error),
          );
        }),
      );
      expect([status.INTERNAL, status.INVALID_ARGUMENT]).toContain(refused.code);
    } finally {
      raw.close();
    }
    expect(await state()).toEqual(before);
  });

  it('answers a read of a compacted revision with OUT_OF_RANGE and etcd\'s message', async () => {
    const old = await put({ key: bytes('history'), value: bytes('old') });
    const latest = await put({ key: bytes('history'), value: bytes('new') });
    const compacted = await request(cluster.members[0]!.url, 'POST', '/api/v1/admin/compact', { revision: Number(latest.header!.revision) });
    expect(compacted.status).toBe(200);
    const before = await state();
    const refused = await refusal(get({ key: bytes('history'), revision: old.header!.revision }));
    expect(refused.code).toBe(status.OUT_OF_RANGE);
    expect(refused.errorCode).toBe('MVCC_COMPACTED');
    expect(refused.details).toBe('etcdserver: mvcc: required revision has been compacted');
    expect(await state()).toEqual(before);
  });

  it('counts and times each call by method and status code in the member\'s metrics, as go-grpc-prometheus names them', async () => {
    const metrics = (await request(cluster.members[0]!.url, 'GET', '/metrics')).text;
    const put = 'grpc_type="unary",grpc_service="beavervault.v1.KV",grpc_method="Put"';
    expect(metrics).toMatch(new RegExp(`^grpc_server_started_total\\{${put}\\} [1-9]`, 'm'));
    expect(metrics).toMatch(new RegExp(`^grpc_server_handled_total\\{${put},grpc_code="OK"\\} [1-9]`, 'm'));
    expect(metrics).toMatch(new RegExp(`^grpc_server_handling_seconds_count\\{${put}\\} [1-9]`, 'm'));
    // Go's name of the code, as etcd's alerts match it.
    expect(metrics).toMatch(/^grpc_server_handled_total\{grpc_type="unary",grpc_service="beavervault\.v1\.KV",grpc_method="Get",grpc_code="OutOfRange"\} 1$/m);
  });

  it('refuses a revision beyond 2^53 instead of rounding it', async () => {
    const refused = await refusal(get({ key: bytes('probe'), revision: 2n ** 60n }));
    expect(refused.code).toBe(status.INVALID_ARGUMENT);
    expect(refused.errorCode).toBe('API_INVALID_PARAMETER');
  });

  // Last: it stops the member.
  it('stops gracefully on SIGTERM although a watch stream is open, ending it with UNAVAILABLE', async () => {
    const stream = client.watch(WatchRequest.fromPartial({ key: bytes('never-written') }), new Metadata(), callOptions());
    const ended = new Promise<number>((resolve) => {
      stream.on('error', (error: ServiceError) => resolve(error.code));
      stream.on('end', () => resolve(status.OK));
    });
    stream.on('data', () => undefined);
    await put({ key: bytes('watch-open'), value: bytes('yes') });
    const exit = await cluster.members[0]!.terminate(20_000);
    expect(exit.code).toBe(0);
    expect(await ended).toBe(status.UNAVAILABLE);
  });
});
