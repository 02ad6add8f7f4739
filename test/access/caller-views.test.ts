// Every client API serves a call from the view NodeAccess gives its caller: the REST routes
// through one onRequest hook, the native and etcd gRPC services through their call wrappers,
// streams at their start. A recording NodeAccess shows what each API passed as the origin and
// the credentials, and that a refusal from it reaches the client as the call's error.
import { join } from 'node:path';
import type { PeerCertificate } from 'node:tls';
import { credentials as grpcCredentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallOrigin, Credentials, NodeAccess } from '../../src/access/node-access.js';
import { ApiError } from '../../src/api/errors.js';
import { grpcCredentials as grpcCallerCredentials } from '../../src/api/grpc/grpc-caller.js';
import { type GrpcApi, startGrpcApi } from '../../src/api/grpc/index.js';
import { credentialsOf } from '../../src/api/http/http-caller.js';
import { buildHttpApi } from '../../src/api/http/index.js';
import { KVClient as EtcdKvClient, RangeRequest, WatchClient as EtcdWatchClient } from '../../src/generated/etcd/etcdserverpb/rpc.js';
import { KVClient as NativeKvClient } from '../../src/generated/beavervault/v1/kv.js';
import type { KvNode } from '../../src/node/kv-node.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SingleStoreKvNode } from '../api/single-store-kv-node.js';
import { temporaryDirectory } from '../cluster/cluster-harness.js';

const CALL_DEADLINE_MS = 10_000;
/** A token this access refuses, as an auth-enabled NodeAccess refuses an expired one. */
const REFUSED_TOKEN = 'refused';

class RecordingAccess implements NodeAccess {
  readonly calls: { origin: CallOrigin; credentials: Credentials }[] = [];

  constructor(private readonly node: KvNode) {}

  async nodeFor(origin: CallOrigin, credentials: Credentials): Promise<KvNode> {
    this.calls.push({ origin, credentials });
    if (credentials.token === REFUSED_TOKEN) throw new ApiError('API_INVALID_CREDENTIALS', { name: 'the token', reason: 'refused by the test' });
    return this.node;
  }

  last(): { origin: CallOrigin; credentials: Credentials } | undefined {
    return this.calls[this.calls.length - 1];
  }
}

let node: SingleStoreKvNode;
let access: RecordingAccess;

beforeAll(async () => {
  node = await SingleStoreKvNode.open();
  access = new RecordingAccess(node);
});

afterAll(async () => {
  await node.close();
});

describe('the REST API', () => {
  it('resolves the view once per request, with the route, the client address and the bearer token', async () => {
    const app = await buildHttpApi({ node, access, metrics: new Registry(), logger: silentLogger() });
    const before = access.calls.length;
    const put = await app.inject({ method: 'PUT', url: '/api/v1/keys/a/b', payload: 'v', headers: { authorization: 'Bearer secret-token' } });
    expect(put.statusCode).toBe(200);
    expect(access.calls.length).toBe(before + 1);
    expect(access.last()).toEqual({ origin: { api: 'rest', method: 'PUT /api/v1/keys/*', source: expect.stringMatching(/^127\.0\.0\.1:\d+$/) }, credentials: { token: 'secret-token' } });
    const get = await app.inject({ method: 'GET', url: '/api/v1/keys/a/b' });
    expect(get.body).toBe('v');
    expect(access.last()?.credentials).toEqual({});
    await app.close();
  });

  it('resolves the view for the routes of their own scope too (restore streams its body) and for backup', async () => {
    const app = await buildHttpApi({ node, access, metrics: new Registry(), logger: silentLogger() });
    const backup = await app.inject({ method: 'POST', url: '/api/v1/admin/backup', headers: { authorization: 'Bearer b' } });
    expect(backup.statusCode).toBe(200);
    expect(access.last()?.origin.method).toBe('POST /api/v1/admin/backup');
    const restore = await app.inject({ method: 'POST', url: '/api/v1/admin/restore', payload: backup.rawPayload, headers: { authorization: 'Bearer r', 'content-type': 'application/octet-stream' } });
    expect(restore.statusCode).toBe(200);
    expect(access.last()).toMatchObject({ origin: { method: 'POST /api/v1/admin/restore' }, credentials: { token: 'r' } });
    await app.close();
  });

  it('serves the probes without a view', async () => {
    const app = await buildHttpApi({ node, access, metrics: new Registry(), logger: silentLogger() });
    const before = access.calls.length;
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json']) expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
    expect(access.calls.length).toBe(before);
    await app.close();
  });

  it.each([
    ['Basic over plain HTTP', `Basic ${Buffer.from('root:pw').toString('base64')}`, 'accepted only over HTTPS'],
    ['an unknown scheme', 'Digest abc', 'the scheme Digest is not supported'],
    ['a bearer without a token', 'Bearer', 'needs exactly one parameter'],
    ['a bearer with two parameters', 'Bearer a b', 'expected "Bearer <token>"'],
  ])('refuses %s with 400 API_INVALID_CREDENTIALS before anything is written', async (_case, authorization, reason) => {
    const app = await buildHttpApi({ node, access, metrics: new Registry(), logger: silentLogger() });
    const before = access.calls.length;
    const answer = await app.inject({ method: 'PUT', url: '/api/v1/keys/refused', payload: 'v', headers: { authorization } });
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toEqual({ error: { code: 'API_INVALID_CREDENTIALS', message: expect.stringContaining(reason) } });
    expect(answer.json().error.message).toContain('the Authorization header');
    expect(access.calls.length).toBe(before);
    expect((await node.range({ key: Buffer.from('refused') })).kvs).toEqual([]);
    await app.close();
  });

  it('answers with the error NodeAccess refused the credentials with', async () => {
    const app = await buildHttpApi({ node, access, metrics: new Registry(), logger: silentLogger() });
    const answer = await app.inject({ method: 'GET', url: '/api/v1/watch/a', headers: { authorization: `Bearer ${REFUSED_TOKEN}` } });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error.message).toContain('refused by the test');
    await app.close();
  });
});

describe('the gRPC APIs', () => {
  let api: GrpcApi;
  let native: NativeKvClient;
  let etcdKv: EtcdKvClient;
  let etcdWatch: EtcdWatchClient;

  beforeAll(async () => {
    api = await startGrpcApi({ node, access, host: '127.0.0.1', port: 0, metrics: new Registry(), logger: silentLogger(), localSocketDirectory: join(await temporaryDirectory('caller-views'), 'gateway') });
    native = new NativeKvClient(api.address, grpcCredentials.createInsecure());
    etcdKv = new EtcdKvClient(api.address, grpcCredentials.createInsecure());
    etcdWatch = new EtcdWatchClient(api.address, grpcCredentials.createInsecure());
  });

  afterAll(async () => {
    for (const client of [native, etcdKv, etcdWatch]) client.close();
    await api.close();
  });

  function withToken(...tokens: string[]): Metadata {
    const metadata = new Metadata();
    for (const token of tokens) metadata.add('token', token);
    return metadata;
  }

  function unary<Response>(start: (metadata: Metadata, options: { deadline: number }, done: (error: ServiceError | null, response: Response) => void) => unknown, metadata: Metadata): Promise<Response> {
    return new Promise((resolve, reject) => {
      start(metadata, { deadline: Date.now() + CALL_DEADLINE_MS }, (error, response) => (error === null ? resolve(response) : reject(error)));
    });
  }

  it('native: the full method path, the peer address and the token metadata', async () => {
    await unary((metadata, options, done) => native.put({ key: Buffer.from('n'), value: Buffer.from('1'), contentType: '', tags: {}, lease: 0n, ttlSeconds: 0n, prevKv: false, conditions: [] }, metadata, options, done), withToken('native-token'));
    const { origin, credentials } = access.last() ?? {};
    expect(origin).toEqual({ api: 'native', method: '/beavervault.v1.KV/Put', source: expect.stringMatching(/^(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]):\d+$/) });
    expect(credentials).toEqual({ token: 'native-token' });
  });

  it('etcd: the full method path and the token, as etcd clients send it', async () => {
    await unary((metadata, options, done) => etcdKv.range(RangeRequest.fromPartial({ key: Buffer.from('n') }), metadata, options, done), withToken('etcd-token'));
    expect(access.last()?.origin).toMatchObject({ api: 'etcd', method: '/etcdserverpb.KV/Range' });
    expect(access.last()?.credentials).toEqual({ token: 'etcd-token' });
  });

  it('refuses a call that carries two tokens (grpc-js clients join them; other clients send two header fields)', () => {
    const metadata = withToken('a', 'b');
    const call = { metadata, getPeer: () => '127.0.0.1:1', getAuthContext: () => ({}) };
    expect(() => grpcCallerCredentials(call)).toThrow('the credentials in the token metadata cannot be used: a call carries one token, this one carries 2');
    expect(grpcCallerCredentials({ ...call, metadata: withToken('') })).toEqual({ token: '' });
  });

  it('a stream resolves its view at the start, and a refusal ends it with the error', async () => {
    const before = access.calls.length;
    const stream = etcdWatch.watch(withToken(REFUSED_TOKEN));
    const error = await new Promise<ServiceError>((resolve) => stream.on('error', resolve));
    expect(error.details).toContain('refused by the test');
    expect(access.calls.length).toBe(before + 1);
    expect(access.last()?.origin.method).toBe('/etcdserverpb.Watch/Watch');
  });
});

describe('REST credentials', () => {
  const certificate = (CN: unknown): PeerCertificate => ({ subject: { CN } }) as unknown as PeerCertificate;

  it('takes Basic over TLS, the scheme in any case, and the verified certificate CN beside a token', () => {
    expect(credentialsOf(`basic ${Buffer.from('alice:pa:ss').toString('base64')}`, {})).toEqual({ password: { user: 'alice', password: 'pa:ss' } });
    expect(credentialsOf('BEARER t', { peerCertificate: certificate('alice') })).toEqual({ token: 't', certificateCommonName: 'alice' });
    expect(credentialsOf(undefined, { peerCertificate: certificate('bob') })).toEqual({ certificateCommonName: 'bob' });
    expect(credentialsOf(undefined, undefined)).toEqual({});
  });

  it.each([
    ['Basic !!!', 'the Basic credentials are not base64'],
    [`Basic ${Buffer.from('no-colon').toString('base64')}`, 'base64 of user:password with a non-empty user'],
    [`Basic ${Buffer.from(':pw').toString('base64')}`, 'base64 of user:password with a non-empty user'],
    ['', 'expected "Bearer <token>"'],
  ])('refuses %j over TLS', (authorization, reason) => {
    expect(() => credentialsOf(authorization, {})).toThrow(reason);
  });

  it('refuses a certificate that names two common names', () => {
    expect(() => credentialsOf(undefined, { peerCertificate: certificate(['a', 'b']) })).toThrow('its subject names 2 common names');
  });
});
