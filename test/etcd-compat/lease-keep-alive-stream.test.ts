// The keep-alive streams (etcd's Lease service and the native API's) under a client that floods requests and reads answers slowly: each
// stream renews one lease at a time, stops reading requests while its answers wait for the
// client, and answers every request, in order, once the client reads again. The stream here is
// an in-memory duplex whose writes are acknowledged only when the test says the client read.
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { OpenAccess } from '../../src/access/node-access.js';
import { incoming, outgoingStream } from '../../src/api/grpc/call-handlers.js';
import { leaseService } from '../../src/api/grpc/etcd/lease-service.js';
import type { GrpcContext } from '../../src/api/grpc/grpc-context.js';
import { LeaseCalls } from '../../src/api/grpc/native/lease-calls.js';
import { ResponseHeaders } from '../../src/api/grpc/response-headers.js';
import type { KvNode } from '../../src/node/kv-node.js';

const REQUESTS = 1_000;
/** Answers the stream buffers before write() says to wait. */
const WRITE_BUFFER_MESSAGES = 4;

/** A node whose renewals take a macrotask each and which records how many run at once. */
function renewingNode(): { node: KvNode; concurrentMax: () => number } {
  let running = 0;
  let concurrentMax = 0;
  const node = {
    clusterId: 'c1',
    id: 1,
    position: () => ({ term: 1, leaderId: 1, revision: 1 }),
    leaseKeepAlive: async () => {
      running++;
      concurrentMax = Math.max(concurrentMax, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      return 60;
    },
  } as unknown as KvNode;
  return { node, concurrentMax: () => concurrentMax };
}

/** A duplex stream standing in for a gRPC call: the test releases each written answer. */
function slowReaderStream(): { stream: Duplex; answers: unknown[]; readAll: () => void } {
  const answers: unknown[] = [];
  const unread: Array<() => void> = [];
  let reading = false;
  const stream = new Duplex({
    objectMode: true,
    writableHighWaterMark: WRITE_BUFFER_MESSAGES,
    read: () => undefined,
    write: (answer: unknown, _encoding, done) => {
      answers.push(answer);
      if (reading) done();
      else unread.push(done);
    },
  });
  const readAll = (): void => {
    reading = true;
    for (const done of unread.splice(0)) done();
  };
  return { stream, answers, readAll };
}

async function settle(): Promise<void> {
  for (let turn = 0; turn < 50; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** How each API's handler is started on a stream, and how its requests and answers name the lease. */
const HANDLERS = [
  {
    api: 'etcd',
    request: (id: bigint) => ({ ID: id }),
    answeredId: (answer: unknown) => (answer as { ID: bigint }).ID,
    start: (node: KvNode, stream: Duplex) => (leaseService({ access: new OpenAccess(node), headers: new ResponseHeaders(node) }).leaseKeepAlive as unknown as (call: Duplex) => void)(stream),
  },
  {
    api: 'native',
    request: (id: bigint) => ({ id }),
    answeredId: (answer: unknown) => (answer as { id: bigint }).id,
    start: (node: KvNode, stream: Duplex) => {
      const calls = new LeaseCalls({} as GrpcContext, new ResponseHeaders(node));
      void calls.keepAlive(node, incoming(stream), outgoingStream(stream as never)).then(() => stream.end());
    },
  },
] as const;

describe('a lease keep-alive stream', () => {
  it.each(HANDLERS)('($api) renews one lease at a time, stops reading while its answers wait, and answers every request in order', async ({ request, answeredId, start }) => {
    const { node, concurrentMax } = renewingNode();
    const { stream, answers, readAll } = slowReaderStream();
    for (let index = 0; index < REQUESTS; index++) stream.push(request(BigInt(index + 1)));
    start(node, stream);
    await settle();
    // Held back: it read only what fits the write buffer (and the one being answered), not the flood.
    expect(answers.length).toBeLessThanOrEqual(WRITE_BUFFER_MESSAGES + 1);
    expect(stream.readableLength).toBeGreaterThanOrEqual(REQUESTS - WRITE_BUFFER_MESSAGES - 2);
    readAll();
    stream.push(null);
    await new Promise((resolve) => stream.once('finish', resolve));
    expect(answers.map(answeredId)).toEqual(Array.from({ length: REQUESTS }, (_unused, index) => BigInt(index + 1)));
    expect(concurrentMax()).toBe(1);
  });
});
