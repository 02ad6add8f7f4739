// Traces from a real three-member cluster: each member exports over OTLP to a receiver this test
// runs (OTLP/HTTP with JSON bodies: the OpenTelemetry packages ship no proto definitions to
// decode the default protobuf with). A client's traceparent is continued; a put to the leader
// (etcd's KV over gRPC), a put to a follower (the native service, forwarded inside Raft) and a
// REST put each leave the span tree docs/observability.md describes. A member with the SDK
// disabled exports nothing, and with no variables the SDK is never loaded.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KVClient as EtcdKvClient, DeleteRangeRequest, PutRequest as EtcdPutRequest, RangeRequest, TxnRequest } from '../../src/generated/etcd/etcdserverpb/rpc.js';
import { KVClient as NativeKvClient, PutRequest as NativePutRequest } from '../../src/generated/beavervault/v1/kv.js';
import { createLogger } from '../../src/observability/logger.js';
import { startTracing } from '../../src/observability/tracing.js';
import { type ServerProcess, TestCluster, waitFor } from '../cluster/cluster-harness.js';

interface ExportedSpan {
  readonly service: string;
  readonly member: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly attributes: Record<string, string | number>;
}

interface JsonAttribute {
  readonly key: string;
  readonly value: { readonly stringValue?: string; readonly intValue?: string | number };
}

interface JsonSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly attributes?: JsonAttribute[];
}

interface ExportRequest {
  readonly resourceSpans: { resource: { attributes: JsonAttribute[] }; scopeSpans: { spans: JsonSpan[] }[] }[];
}

function attributesOf(attributes: readonly JsonAttribute[] = []): Record<string, string | number> {
  return Object.fromEntries(attributes.map(({ key, value }) => [key, value.stringValue ?? Number(value.intValue)]));
}

/** An OTLP/HTTP receiver for traces: every span it is sent. */
class OtlpReceiver {
  readonly spans: ExportedSpan[] = [];
  private constructor(private readonly server: Server) {}

  static async start(): Promise<OtlpReceiver> {
    const server = createServer();
    const receiver = new OtlpReceiver(server);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.url === '/v1/traces') receiver.record(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportRequest);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private record(body: ExportRequest): void {
    for (const { resource, scopeSpans } of body.resourceSpans) {
      const { 'service.name': service, 'bvault.member': member } = attributesOf(resource.attributes);
      for (const span of scopeSpans.flatMap((scope) => scope.spans)) {
        this.spans.push({ service: String(service), member: String(member), traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId ?? '', name: span.name, attributes: attributesOf(span.attributes) });
      }
    }
  }

  /** The spans of one trace, once every name in `names` is among them. */
  trace(traceId: string, names: readonly string[]): Promise<ExportedSpan[]> {
    return waitFor(`spans ${names.join(', ')} of trace ${traceId}`, 15_000, () => {
      const spans = this.spans.filter((span) => span.traceId === traceId);
      const missing = names.filter((name) => !spans.some((span) => span.name === name));
      return missing.length === 0 ? spans : undefined;
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const hex = (bytes: number): string => Buffer.from(Array.from({ length: bytes }, () => Math.floor(Math.random() * 256))).toString('hex');

/** A client's trace: the traceparent it sends, naming its own span. */
function clientTrace(): { readonly traceId: string; readonly clientSpanId: string; readonly traceparent: string } {
  const traceId = hex(16);
  const clientSpanId = hex(8);
  return { traceId, clientSpanId, traceparent: `00-${traceId}-${clientSpanId}-01` };
}

function metadataWith(traceparent: string): Metadata {
  const metadata = new Metadata();
  metadata.set('traceparent', traceparent);
  return metadata;
}

function unary<T>(call: (done: (error: ServiceError | null, response: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((error, response) => (error === null ? resolve(response) : reject(error))));
}

function only(spans: readonly ExportedSpan[], name: string, member?: string): ExportedSpan {
  const found = spans.filter((span) => span.name === name && (member === undefined || span.member === member));
  expect(found, `one ${name} span${member === undefined ? '' : ` on ${member}`}`).toHaveLength(1);
  return found[0]!;
}

/** The server span and its children on `member`: proposal (or forward), commit, apply and reply. */
function expectWriteTree(spans: readonly ExportedSpan[], server: ExportedSpan, member: string, forwarded: boolean): void {
  const children = spans.filter((span) => span.parentSpanId === server.spanId);
  expect(children.every((span) => span.member === member)).toBe(true);
  const names = children.map((span) => span.name).sort();
  expect(names).toEqual(forwarded ? ['raft.apply', 'raft.forward', 'reply'] : ['raft.apply', 'raft.commit', 'raft.propose', 'reply']);
  const committed = children.find((span) => span.name === (forwarded ? 'raft.forward' : 'raft.commit'))!;
  expect(committed.attributes['raft.index']).toBeGreaterThan(0);
  expect(committed.attributes['raft.term']).toBeGreaterThan(0);
}

const bytes = (text: string): Uint8Array => Buffer.from(text);

let receiver: OtlpReceiver;
let cluster: TestCluster;
let disabled: TestCluster;
let leader: ServerProcess;
let follower: ServerProcess;
const clients: { close(): void }[] = [];

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  const tracingEnvironment = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_SDK_DISABLED: undefined, OTEL_TRACES_EXPORTER: undefined, OTEL_SERVICE_NAME: undefined };
  [cluster, disabled] = await Promise.all([
    TestCluster.start({ size: 3, prefix: 'tracing', memberOptions: () => ({ environment: tracingEnvironment }) }),
    TestCluster.start({ size: 1, prefix: 'tracing-off', memberOptions: () => ({ environment: { ...tracingEnvironment, OTEL_SDK_DISABLED: 'true', OTEL_SERVICE_NAME: 'disabled-member' } }) }),
  ]);
  leader = await cluster.leader();
  follower = cluster.members.find((member) => member !== leader)!;
  // Before the traced calls, whose spans arriving shows that this member's would have too.
  expect((await disabled.members[0]!.request('PUT', '/api/v1/keys/untraced', 'v')).status).toBe(200);
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all([cluster?.destroy(), disabled?.destroy()]);
  await receiver?.close();
});

describe('traces', () => {
  it('an etcd Put to the leader: the client trace continued, then propose, commit, apply and reply', async () => {
    const client = new EtcdKvClient(leader.grpcAddress, credentials.createInsecure());
    clients.push(client);
    const { traceId, clientSpanId, traceparent } = clientTrace();
    await unary((done) => client.put(EtcdPutRequest.fromPartial({ key: bytes('traced-leader'), value: bytes('v') }), metadataWith(traceparent), done));
    const spans = await receiver.trace(traceId, ['etcdserverpb.KV/Put', 'raft.propose', 'raft.commit', 'raft.apply', 'reply']);
    const server = only(spans, 'etcdserverpb.KV/Put');
    expect(server.parentSpanId).toBe(clientSpanId);
    expect(server.member).toBe(leader.name);
    expect(server.service).toBe('beaver-vault');
    expect(server.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.service': 'etcdserverpb.KV', 'rpc.method': 'Put', 'rpc.grpc.status_code': 0 });
    expectWriteTree(spans, server, leader.name, false);
  });

  it('a native Put to a follower: its forward span, and the leader commit and apply beneath it in the same trace', async () => {
    const client = new NativeKvClient(follower.grpcAddress, credentials.createInsecure());
    clients.push(client);
    const { traceId, clientSpanId, traceparent } = clientTrace();
    await unary((done) => client.put(NativePutRequest.fromPartial({ key: bytes('traced-follower'), value: bytes('v') }), metadataWith(traceparent), done));
    const spans = await receiver.trace(traceId, ['beavervault.v1.KV/Put', 'raft.forward', 'raft.commit', 'raft.apply', 'reply']);
    const server = only(spans, 'beavervault.v1.KV/Put');
    expect(server.parentSpanId).toBe(clientSpanId);
    expect(server.member).toBe(follower.name);
    expectWriteTree(spans, server, follower.name, true);
    const forward = only(spans, 'raft.forward');
    const leaderSpans = spans.filter((span) => span.parentSpanId === forward.spanId);
    expect(leaderSpans.map((span) => span.name).sort()).toEqual(['raft.apply', 'raft.commit']);
    expect(leaderSpans.every((span) => span.member === leader.name)).toBe(true);
    const leaderCommit = only(spans, 'raft.commit', leader.name);
    expect(leaderCommit.attributes['raft.index']).toBe(forward.attributes['raft.index']);
    expect(leaderCommit.attributes['raft.term']).toBe(forward.attributes['raft.term']);
  });

  it('a REST put: the HTTP server span with the route, and the same children', async () => {
    const { traceId, clientSpanId, traceparent } = clientTrace();
    expect((await leader.request('PUT', '/api/v1/keys/traced-rest', 'v', { traceparent })).status).toBe(200);
    const spans = await receiver.trace(traceId, ['PUT /api/v1/keys/*', 'raft.apply', 'reply']);
    const server = only(spans, 'PUT /api/v1/keys/*');
    expect(server.parentSpanId).toBe(clientSpanId);
    expect(server.attributes).toMatchObject({ 'http.request.method': 'PUT', 'http.route': '/api/v1/keys/*', 'http.response.status_code': 200 });
    expectWriteTree(spans, server, leader.name, false);
  });

  it('etcd Range, Txn and DeleteRange: a server span each, and the write tree beneath the writes', async () => {
    const client = new EtcdKvClient(leader.grpcAddress, credentials.createInsecure());
    clients.push(client);
    const calls = [
      { name: 'etcdserverpb.KV/Range', call: (metadata: Metadata) => unary((done) => client.range(RangeRequest.fromPartial({ key: bytes('traced-leader') }), metadata, done)) },
      { name: 'etcdserverpb.KV/Txn', call: (metadata: Metadata) => unary((done) => client.txn(TxnRequest.fromPartial({ success: [{ requestPut: { key: bytes('traced-txn'), value: bytes('v') } }] }), metadata, done)) },
      { name: 'etcdserverpb.KV/DeleteRange', call: (metadata: Metadata) => unary((done) => client.deleteRange(DeleteRangeRequest.fromPartial({ key: bytes('traced-txn') }), metadata, done)) },
    ];
    for (const { name, call } of calls) {
      const { traceId, clientSpanId, traceparent } = clientTrace();
      await call(metadataWith(traceparent));
      const spans = await receiver.trace(traceId, name === 'etcdserverpb.KV/Range' ? [name, 'reply'] : [name, 'raft.apply', 'reply']);
      const server = only(spans, name);
      expect(server.parentSpanId).toBe(clientSpanId);
      if (name !== 'etcdserverpb.KV/Range') expectWriteTree(spans, server, leader.name, false);
    }
  });

  it('a member with OTEL_SDK_DISABLED exports nothing though an endpoint is set', () => {
    // The traced members' spans have arrived (the tests above); this member wrote before them.
    expect(receiver.spans.length).toBeGreaterThan(0);
    expect(receiver.spans.filter((span) => span.service === 'disabled-member')).toEqual([]);
  });

  it('without an endpoint or exporter the SDK is not loaded', async () => {
    const logger = createLogger({ level: 'silent' });
    const loads: string[] = [];
    const refuse = (): never => {
      loads.push('loaded');
      throw new Error('the SDK was loaded');
    };
    for (const environment of [{}, { OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' }, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SDK_DISABLED: 'TRUE' }, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_TRACES_EXPORTER: 'none' }]) {
      expect(await startTracing(environment, 'n1', logger, refuse)).toBeUndefined();
    }
    expect(loads).toEqual([]);
  });
});
