// The gRPC transport: the shared contract over loopback, then what only a real network
// shows: a dead peer, a receiver that stops reading, a peer that restarts, a peer of another
// cluster, a prompt close, chunk sizes and lazy snapshot reading, and the round-trip time.

import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino, type Logger } from 'pino';
import type { NodeId } from '../../src/raft/index.js';
import { nodeId } from '../../src/raft/index.js';
import type { GrpcTransportOptions } from '../../src/transport/index.js';
import { GrpcTransport, isTransportError } from '../../src/transport/index.js';
import { peerService } from '../../src/transport/peer-service.js';
import { describeTransportContract, type TransportCluster } from './transport-contract.js';
import { Recorder, appendMessage, sleep, snapshotData, snapshotMessage, waitFor } from './transport-helpers.js';

const CLUSTER = 'cluster-test';
const MIB = 1024 * 1024;

interface Member {
  readonly id: NodeId;
  readonly transport: GrpcTransport;
  readonly recorder: Recorder;
  readonly address: string;
}

const started: GrpcTransport[] = [];

async function startMember(id: number, overrides: Partial<GrpcTransportOptions> = {}): Promise<Member> {
  const transport = new GrpcTransport({ memberId: nodeId(id), clusterId: CLUSTER, listenAddress: '127.0.0.1:0', ...overrides });
  const recorder = new Recorder();
  started.push(transport);
  await transport.start(recorder);
  return { id: nodeId(id), transport, recorder, address: `127.0.0.1:${transport.port}` };
}

function connect(members: readonly Member[]): void {
  for (const member of members) for (const peer of members) if (peer !== member) member.transport.setPeer(peer.id, peer.address);
}

async function grpcCluster(count: number): Promise<TransportCluster> {
  const members = await Promise.all(Array.from({ length: count }, (_, index) => startMember(index + 1)));
  connect(members);
  return {
    transports: members.map((member) => member.transport),
    ids: members.map((member) => member.id),
    recorders: members.map((member) => member.recorder),
    close: async () => void (await Promise.all(members.map((member) => member.transport.close()))),
  };
}

/** A loopback port with nothing listening on it. */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A logger whose lines a test can read. */
function capturedLogger(level = 'info'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { logger: pino({ level }, destination), lines };
}

describeTransportContract('GrpcTransport', grpcCluster);

describe('GrpcTransport on a real network', () => {
  afterEach(async () => {
    await Promise.all(started.splice(0).map((transport) => transport.close()));
  });

  it('a dead peer never blocks send and is reported unreachable', async () => {
    const a = await startMember(1);
    const dead = nodeId(2);
    a.transport.setPeer(dead, `127.0.0.1:${await unusedPort()}`);
    // send() is synchronous and only queues: what it cannot hand to the peer is dropped,
    // counted and reported, so the queue below stays bounded while the peer is down.
    for (let round = 0; round < 20; round++) {
      a.transport.send(Array.from({ length: 50 }, (_, index) => appendMessage(a.id, dead, round * 50 + index)));
      await sleep(10);
    }
    await waitFor('the unreachable report', () => a.recorder.unreachable.includes(dead));
    expect(a.transport.queuedFor(dead).messages).toBeLessThan(1_000);
    expect(a.transport.counters().get(dead)!.messagesDropped).toBeGreaterThan(0);
  });
});

describe('GrpcTransport under back-pressure, restarts and misconfiguration', () => {
  const servers: Server[] = [];

  afterEach(async () => {
    for (const server of servers.splice(0)) server.forceShutdown();
    await Promise.all(started.splice(0).map((transport) => transport.close()));
  });

  /** A peer that accepts the Messages stream and then never reads from it. */
  async function stalledPeer(): Promise<string> {
    const server = new Server();
    servers.push(server);
    server.addService(peerService, {
      messages: (call: ServerDuplexStream<unknown, Buffer>) => call.sendMetadata(call.metadata.clone()),
      snapshot: () => undefined,
      call: () => undefined,
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    return `127.0.0.1:${port}`;
  }

  it('a receiver that stops reading cannot grow the queue past its limits: the excess is dropped and counted', async () => {
    const limits = { queuedMessagesMax: 500, queuedBytesMax: 256 * 1024 };
    const a = await startMember(1, limits);
    const slow = nodeId(2);
    a.transport.setPeer(slow, await stalledPeer());
    let largestQueue = { messages: 0, bytes: 0 };
    for (let round = 0; round < 100; round++) {
      a.transport.send(Array.from({ length: 200 }, (_, index) => appendMessage(a.id, slow, round * 200 + index, 1024)));
      const queued = a.transport.queuedFor(slow);
      if (queued.bytes > largestQueue.bytes) largestQueue = { ...queued };
      await sleep(2);
    }
    const counters = a.transport.counters().get(slow)!;
    expect(largestQueue.messages).toBeLessThanOrEqual(limits.queuedMessagesMax);
    expect(largestQueue.bytes).toBeLessThanOrEqual(limits.queuedBytesMax);
    expect(counters.messagesDropped).toBeGreaterThan(10_000);
    // What went onto the stream is bounded by HTTP/2 flow control, far below the 20 MiB offered.
    expect(counters.bytesSent).toBeLessThan(8 * MIB);
    await waitFor('the unreachable report', () => a.recorder.unreachable.includes(slow));
  });

  /**
   * Member 1 (fast reconnect backoff) delivers to member 2, which then stops, with
   * `whileStopping` wrapped around its stop until member 1 notices; member 2 starts again on
   * the same port and member 1 sends until it delivers there.
   */
  async function peerRestartsOnSamePort(whileStopping: (stop: () => Promise<void>) => Promise<void>, delivery: string): Promise<{ a: Member; b: Member }> {
    const a = await startMember(1, { reconnectDelayInitialMs: 20, reconnectDelayMaxMs: 200 });
    const b = await startMember(2);
    connect([a, b]);
    a.transport.send([appendMessage(a.id, b.id, 1)]);
    await waitFor('the first delivery', () => b.recorder.messages.length === 1);
    await whileStopping(async () => {
      await b.transport.close();
      await waitFor('the failure to be noticed', () => {
        a.transport.send([appendMessage(a.id, b.id, 2)]);
        return a.recorder.unreachable.includes(b.id);
      });
    });
    const restarted = await startMember(2, { listenAddress: b.address });
    await waitFor(
      delivery,
      () => {
        a.transport.send([appendMessage(a.id, b.id, 3)]);
        return restarted.recorder.messages.length > 0;
      },
      10_000,
    );
    return { a, b };
  }

  it('reconnects to a peer that restarts on the same port and delivers again', async () => {
    const { a, b } = await peerRestartsOnSamePort((stop) => stop(), 'delivery to the restarted peer');
    // The peer's answering headers, which count the reconnect, may trail its first delivery.
    await waitFor('the reconnect to be counted', () => a.transport.counters().get(b.id)!.reconnects >= 1);
  });

  it('a restarted peer that opens its stream ends the backoff towards it: it is reached again well within a second', async () => {
    const { logger, lines } = capturedLogger('debug');
    const a = await startMember(1, { reconnectDelayInitialMs: 20, reconnectDelayMaxMs: 5_000, logger });
    const b = await startMember(2);
    connect([a, b]);
    await b.transport.close();
    // Member 1 keeps trying until its backoff has grown to seconds, as during a long outage.
    const retryDelaysMs = (): number[] => lines.map((line) => (JSON.parse(line) as { retryInMs?: number }).retryInMs ?? 0);
    await waitFor(
      'the backoff to grow past 1.5 s',
      () => {
        a.transport.send([appendMessage(a.id, b.id, 1)]);
        return retryDelaysMs().some((delayMs) => delayMs >= 1_500);
      },
      20_000,
    );
    const restartedAt = performance.now();
    const restarted = await startMember(2, { listenAddress: b.address });
    restarted.transport.setPeer(a.id, a.address);
    await waitFor(
      'delivery to the restarted peer',
      () => {
        a.transport.send([appendMessage(a.id, b.id, 2)]);
        return restarted.recorder.messages.length > 0;
      },
      10_000,
    );
    const reachedAfterMs = performance.now() - restartedAt;
    console.log(`restarted peer reached ${reachedAfterMs.toFixed(0)} ms after its restart; the backoff had grown to ${Math.max(...retryDelaysMs())} ms`);
    // Loose for a loaded machine; on an idle one it takes tens of milliseconds.
    expect(reachedAfterMs).toBeLessThan(1_000);
  });

  it('a wall clock stepped forward while a peer was down and then set right does not keep the peer down', async () => {
    const wallNow = Date.now.bind(Date);
    await peerRestartsOnSamePort(async (stop) => {
      const steppedClock = vi.spyOn(Date, 'now').mockImplementation(() => wallNow() + 10 * 60_000);
      try {
        await stop();
      } finally {
        steppedClock.mockRestore();
      }
    }, 'delivery to the restarted peer within the reconnect backoff, not after the ten minutes of the step');
  });

  it('refuses a peer of another cluster, says so in the log, and the sender hears of it', async () => {
    const { logger, lines } = capturedLogger();
    const a = await startMember(1);
    const b = await startMember(2, { clusterId: 'another-cluster', logger });
    connect([a, b]);
    a.transport.send([appendMessage(a.id, b.id, 1)]);
    await waitFor('the unreachable report', () => a.recorder.unreachable.includes(b.id));
    const failure = await a.transport.call(b.id, 'echo', new Uint8Array(), 1_000).catch((error: unknown) => error);
    expect(isTransportError(failure, 'TRANSPORT_CLUSTER_MISMATCH')).toBe(true);
    expect((failure as Error).message).toContain('another-cluster');
    expect(b.recorder.messages).toHaveLength(0);
    await waitFor('the log line', () => lines.some((line) => line.includes('refused a peer of another cluster')));
    expect(lines.find((line) => line.includes('refused a peer'))).toContain(CLUSTER);
  });

  it('closes promptly with traffic in flight, and a new transport can bind the same port', async () => {
    const a = await startMember(1);
    const b = await startMember(2);
    connect([a, b]);
    b.transport.handle('never', () => new Promise<Uint8Array>(() => undefined));
    const pendingCall = a.transport.call(b.id, 'never', new Uint8Array(), 30_000).catch((error: unknown) => error);
    a.transport.send(Array.from({ length: 100 }, (_, index) => appendMessage(a.id, b.id, index)));
    b.transport.send(Array.from({ length: 100 }, (_, index) => appendMessage(b.id, a.id, index)));
    await waitFor('the traffic', () => b.recorder.messages.length === 100 && a.recorder.messages.length === 100);
    const beforeMs = Date.now();
    await Promise.all([a.transport.close(), b.transport.close()]);
    expect(isTransportError(await pendingCall)).toBe(true);
    // Far below the call's own 30 s timeout: close ended it rather than waiting it out.
    expect(Date.now() - beforeMs).toBeLessThan(5_000);
    const again = await startMember(3, { listenAddress: b.address });
    expect(again.address).toBe(b.address);
  });

  it('measures a smoothed round-trip time per peer from stream acknowledgements', async () => {
    const a = await startMember(1);
    const b = await startMember(2);
    connect([a, b]);
    for (let round = 0; round < 20; round++) {
      a.transport.send([appendMessage(a.id, b.id, round)]);
      await sleep(5);
    }
    await waitFor('all messages', () => b.recorder.messages.length === 20);
    const roundTripMs = a.transport.counters().get(b.id)!.roundTripMs;
    expect(roundTripMs).toBeGreaterThan(0);
    expect(roundTripMs).toBeLessThan(5_000);
  });

  it('sends snapshot data in chunks no larger than snapshotChunkBytesMax', async () => {
    const a = await startMember(1, { snapshotChunkBytesMax: 256 * 1024 });
    const b = await startMember(2);
    connect([a, b]);
    a.transport.sendSnapshot(snapshotMessage(a.id, b.id), snapshotData(3 * MIB, 2 * MIB));
    await waitFor('the snapshot', () => a.recorder.snapshotStatuses.length === 1, 10_000);
    expect(a.recorder.snapshotStatuses[0]!.ok).toBe(true);
    expect(b.recorder.snapshots[0]!.largestChunkBytes).toBeLessThanOrEqual(256 * 1024);
    expect(b.recorder.snapshots[0]!.chunks).toBeGreaterThanOrEqual(12);
  });

  it('pulls snapshot data only as fast as the receiver consumes it', async () => {
    // In flight at most: the sender's stream buffer and the receiver's, 16 chunks each.
    const a = await startMember(1, { snapshotChunkBytesMax: 256 * 1024 });
    const b = await startMember(2);
    connect([a, b]);
    const produced = { chunks: 0 };
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    b.recorder.snapshotHandler = async (message, chunks) => {
      await released;
      await b.recorder.collectSnapshot(message, chunks);
    };
    const totalChunks = 256;
    a.transport.sendSnapshot(snapshotMessage(a.id, b.id), snapshotData(totalChunks * 256 * 1024, 256 * 1024, produced));
    await sleep(500);
    expect(produced.chunks).toBeGreaterThan(0);
    expect(produced.chunks).toBeLessThan(40);
    release();
    await waitFor('the snapshot', () => a.recorder.snapshotStatuses.length === 1, 30_000);
    expect(a.recorder.snapshotStatuses[0]!.ok).toBe(true);
    expect(b.recorder.snapshots[0]!.bytes).toBe(totalChunks * 256 * 1024);
  });

  it('refuses options out of range, listing every problem', () => {
    const construct = (): GrpcTransport =>
      new GrpcTransport({ memberId: nodeId(0), clusterId: '', listenAddress: 'nowhere', queuedMessagesMax: 0, reconnectDelayMaxMs: 1 });
    expect(construct).toThrow(/memberId.*clusterId.*listenAddress.*queuedMessagesMax.*reconnectDelayMaxMs/);
  });
});
