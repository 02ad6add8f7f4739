// A full queue is refused at once, on every API, with the answer each API's clients know: the
// native gRPC API says RESOURCE_EXHAUSTED with NODE_OVERLOADED in its trailer, the etcd API
// etcd's exact "etcdserver: too many requests", and REST 429 with Retry-After. One member with
// --pending-proposals-max 1 and a slow disk (the wal-write failpoint): one write stays pending
// while the others arrive.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutRequest as EtcdPutRequest } from '../../src/generated/etcd/etcdserverpb/rpc.js';
import { PutRequest, WatchRequest } from '../../src/generated/beavervault/v1/kv.js';
import { call, callError, etcdClients } from '../etcd-compat/etcd-grpc-client.js';
import { bytes, callOptions, Metadata, nativeClient, refusal, unary } from '../grpc-native/native-client.js';
import { freePort, request, ServerProcess, sleep, temporaryDirectory, waitFor } from './cluster-harness.js';

const SLOW_WRITE_MS = 3_000;
const STREAMS_MAX = 2;
const REFUSAL = 'too many requests: the pending-proposal queue would hold 2 requests, over its limit of 1 (pending-proposals-max); retry after a back-off';

let member: ServerProcess;
let failpoints: string;

beforeAll(async () => {
  const root = await temporaryDirectory('overload-refusals');
  const ports = { http: await freePort(), raft: await freePort(), grpc: await freePort() };
  failpoints = `127.0.0.1:${await freePort()}`;
  const args = ['--initial-cluster', `n1=127.0.0.1:${ports.raft}`, '--pending-proposals-max', '1', '--grpc-concurrent-streams-max', String(STREAMS_MAX)];
  member = new ServerProcess('n1', ports, join(root, 'n1'), args, { environment: { BVAULT_FAILPOINTS_HTTP: failpoints } });
  member.start();
  await member.waitUntilReady();
}, 60_000);

afterAll(async () => {
  await member?.kill();
});

async function setWalWrite(action: string): Promise<void> {
  const answer = await fetch(`http://${failpoints}/wal-write`, { method: 'PUT', body: action });
  expect(answer.ok).toBe(true);
}

describe('a member whose pending-proposal queue is full', () => {
  it('refuses a write on each API at once, each in that API\'s words, and takes writes again once the queue drains', async () => {
    await setWalWrite(`sleep(${SLOW_WRITE_MS})`);
    const pending = request(member.url, 'PUT', '/api/v1/keys/held', 'v');
    try {
      await waitFor('the first write to be pending', 5_000, async () => {
        const metrics = (await request(member.url, 'GET', '/metrics')).text;
        return /^bvault_server_proposals_pending 1$/m.test(metrics) ? true : undefined;
      });
      const started = Date.now();

      const rest = await request(member.url, 'PUT', '/api/v1/keys/refused', 'v');
      expect(rest.status).toBe(429);
      expect(rest.headers.get('retry-after')).toBe('1');
      expect(rest.json).toMatchObject({ error: { code: 'NODE_OVERLOADED', message: REFUSAL } });

      const native = nativeClient(member.grpcAddress);
      const nativeRefusal = await refusal(unary((done) => native.put(PutRequest.fromPartial({ key: bytes('refused'), value: bytes('v') }), new Metadata(), callOptions(), done)));
      native.close();
      expect(nativeRefusal.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
      expect(nativeRefusal.errorCode).toBe('NODE_OVERLOADED');
      expect(nativeRefusal.details).toBe(REFUSAL);

      const etcd = etcdClients(member);
      const etcdRefusal = await callError(call(etcd.kv.put.bind(etcd.kv), EtcdPutRequest.fromPartial({ key: bytes('refused'), value: bytes('v') })));
      etcd.close();
      expect(etcdRefusal.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
      expect(etcdRefusal.details).toBe('etcdserver: too many requests');

      // At once: the three refusals came back while the first write still waited for the disk.
      expect(Date.now() - started).toBeLessThan(SLOW_WRITE_MS);
      const metrics = (await request(member.url, 'GET', '/metrics')).text;
      expect(metrics).toMatch(/^bvault_server_overload_refusals_total\{queue="pending-proposal queue"\} 3$/m);
    } finally {
      await setWalWrite('off');
    }
    expect((await pending).status).toBe(200);
    expect((await request(member.url, 'PUT', '/api/v1/keys/after', 'v')).status).toBe(200);
  }, 60_000);
});


describe('a gRPC connection', () => {
  it('has at most --grpc-concurrent-streams-max calls open on the server; the client holds the rest until one ends', async () => {
    const watchers = async (): Promise<number> => Number(/^bvault_mvcc_watcher_total (\d+)$/m.exec((await request(member.url, 'GET', '/metrics')).text)?.[1]);
    const client = nativeClient(member.grpcAddress);
    try {
      const calls = Array.from({ length: STREAMS_MAX + 1 }, () => client.watch(WatchRequest.fromPartial({ key: bytes('streams/'), prefix: true }), new Metadata()));
      for (const call of calls) call.on('error', () => undefined);
      await waitFor(`${STREAMS_MAX} watchers`, 10_000, async () => ((await watchers()) === STREAMS_MAX ? true : undefined));
      await sleep(1_000);
      expect(await watchers()).toBe(STREAMS_MAX);
      calls[0]!.cancel();
      await sleep(1_000);
      // The held call started once the first ended.
      expect(await watchers()).toBe(STREAMS_MAX);
      for (const call of calls) call.cancel();
    } finally {
      client.close();
    }
  }, 30_000);
});
