// The PeerTransport contract, run against every implementation: what a node may rely on
// whichever transport carries its messages.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeId } from '../../src/raft/index.js';
import { nodeId } from '../../src/raft/index.js';
import type { PeerTransport } from '../../src/transport/index.js';
import { isTransportError } from '../../src/transport/index.js';
import type { Recorder} from './transport-helpers.js';
import { appendMessage, sha256Of, shapeOf, sleep, snapshotData, snapshotMessage, waitFor } from './transport-helpers.js';

export interface TransportCluster {
  readonly transports: readonly PeerTransport[];
  readonly ids: readonly NodeId[];
  readonly recorders: readonly Recorder[];
  close(): Promise<void>;
}

/** Starts `count` transports, each knowing every other as a peer. */
export type TransportClusterFactory = (count: number) => Promise<TransportCluster>;

const MIB = 1024 * 1024;
const UNKNOWN_PEER = nodeId(999);

export function describeTransportContract(name: string, makeCluster: TransportClusterFactory): void {
  describe(`PeerTransport contract: ${name}`, () => {
    let cluster: TransportCluster;
    let a: PeerTransport;
    let b: PeerTransport;
    let idA: NodeId;
    let idB: NodeId;
    let idC: NodeId;
    let atA: Recorder;
    let atB: Recorder;
    let atC: Recorder;

    beforeEach(async () => {
      cluster = await makeCluster(3);
      [a, b] = cluster.transports as [PeerTransport, PeerTransport];
      [idA, idB, idC] = cluster.ids as [NodeId, NodeId, NodeId];
      [atA, atB, atC] = cluster.recorders as [Recorder, Recorder, Recorder];
    });

    afterEach(async () => {
      await cluster.close();
    });

    it('delivers a message to the peer it is addressed to, every field intact', async () => {
      const message = appendMessage(idA, idB, 41);
      a.send([message]);
      await waitFor('the message at b', () => atB.messages.length === 1);
      expect(shapeOf(atB.messages[0]!)).toEqual(shapeOf(message));
      expect(atC.messages).toHaveLength(0);
      expect(atA.unreachable).toEqual([]);
    });

    it('never delivers inside send: the receiver hears of a message only after send returns', async () => {
      a.send([appendMessage(idA, idB, 1)]);
      expect(atB.messages).toHaveLength(0);
      await waitFor('the message at b', () => atB.messages.length === 1);
    });

    it('delivers the messages to one peer in the order they were sent', async () => {
      const count = 2_000;
      for (let start = 0; start < count; start += 10) {
        a.send(Array.from({ length: 10 }, (_, offset) => appendMessage(idA, idB, start + offset)));
        if (start % 500 === 0) await sleep(1);
      }
      await waitFor('every message at b', () => atB.messages.length === count);
      expect(atB.messages.map((message) => message.index)).toEqual(Array.from({ length: count }, (_, index) => index));
    });

    it('hands the messages of one send call to each peer as one batch', async () => {
      const toB = Array.from({ length: 100 }, (_, index) => appendMessage(idA, idB, index));
      const toC = Array.from({ length: 30 }, (_, index) => appendMessage(idA, idC, index));
      a.send(toB.flatMap((message, index) => (index < toC.length ? [message, toC[index]!] : [message])));
      await waitFor('both batches', () => atB.messages.length === 100 && atC.messages.length === 30);
      expect(atB.batches).toHaveLength(1);
      expect(atC.batches).toHaveLength(1);
      const counters = a.counters().get(idB)!;
      expect(counters.messagesSent).toBe(100);
      expect(counters.framesSent).toBe(1);
    });

    it('counts what it sends and receives per peer', async () => {
      a.send(Array.from({ length: 20 }, (_, index) => appendMessage(idA, idB, index)));
      b.send(Array.from({ length: 5 }, (_, index) => appendMessage(idB, idA, index)));
      await waitFor('the traffic', () => atB.messages.length === 20 && atA.messages.length === 5);
      expect(a.counters().get(idB)).toMatchObject({ messagesSent: 20, messagesDropped: 0, messagesReceived: 5 });
      expect(b.counters().get(idA)).toMatchObject({ messagesSent: 5, messagesReceived: 20 });
    });

    it('drops a message to an unknown peer and reports it unreachable, while others still arrive', async () => {
      a.send([appendMessage(idA, UNKNOWN_PEER, 1), appendMessage(idA, idB, 2)]);
      await waitFor('the report and the delivery', () => atA.unreachable.includes(UNKNOWN_PEER) && atB.messages.length === 1);
      expect(a.counters().get(UNKNOWN_PEER)?.messagesDropped).toBe(1);
    });

    it('drops and reports messages to a removed peer', async () => {
      a.removePeer(idB);
      a.send([appendMessage(idA, idB, 1)]);
      await waitFor('the report', () => atA.unreachable.includes(idB));
      await sleep(50);
      expect(atB.messages).toHaveLength(0);
      expect(a.counters().get(idB)?.messagesDropped).toBe(1);
    });

    it('answers a call from the named handler, which learns who called', async () => {
      b.handle('echo', (payload, from) => Promise.resolve(new Uint8Array([...payload, from % 256])));
      const answer = await a.call(idB, 'echo', new Uint8Array([5, 6]), 2_000);
      expect(Array.from(answer)).toEqual([5, 6, idA % 256]);
    });

    it('fails a call to a method nobody handles with TRANSPORT_UNKNOWN_METHOD', async () => {
      const failure = await a.call(idB, 'no-such-method', new Uint8Array(), 2_000).catch((error: unknown) => error);
      expect(isTransportError(failure, 'TRANSPORT_UNKNOWN_METHOD')).toBe(true);
    });

    it('fails a call that gets no answer in time with TRANSPORT_TIMEOUT, promptly', async () => {
      b.handle('slow', () => sleep(10_000).then(() => new Uint8Array([1])));
      const startedMs = Date.now();
      const failure = await a.call(idB, 'slow', new Uint8Array(), 100).catch((error: unknown) => error);
      expect(isTransportError(failure, 'TRANSPORT_TIMEOUT')).toBe(true);
      // Answered by the 100 ms timeout, not by the handler that takes 10 s.
      expect(Date.now() - startedMs).toBeLessThan(5_000);
    });

    it("passes a failing handler's message to the caller as TRANSPORT_CALL_FAILED", async () => {
      b.handle('refuse', () => Promise.reject(new Error('lease 7 not found')));
      const failure = await a.call(idB, 'refuse', new Uint8Array(), 2_000).catch((error: unknown) => error);
      expect(isTransportError(failure, 'TRANSPORT_CALL_FAILED')).toBe(true);
      expect((failure as Error).message).toContain('lease 7 not found');
    });

    it('fails a call to an unknown peer with TRANSPORT_UNKNOWN_PEER', async () => {
      const failure = await a.call(UNKNOWN_PEER, 'echo', new Uint8Array(), 2_000).catch((error: unknown) => error);
      expect(isTransportError(failure, 'TRANSPORT_UNKNOWN_PEER')).toBe(true);
    });

    it('streams a multi-MiB snapshot in chunks that arrive complete and intact', async () => {
      const message = snapshotMessage(idA, idB);
      const data = snapshotData(6 * MIB + 12_345, 1.5 * MIB);
      a.sendSnapshot(message, data);
      await waitFor('the snapshot status', () => atA.snapshotStatuses.length === 1, 20_000);
      expect(atA.snapshotStatuses).toEqual([{ peer: idB, ok: true }]);
      expect(atB.snapshots).toHaveLength(1);
      const received = atB.snapshots[0]!;
      expect(shapeOf(received.message)).toEqual(shapeOf(message));
      expect(received.bytes).toBe(6 * MIB + 12_345);
      expect(received.sha256).toBe(await sha256Of(data()));
      expect(a.counters().get(idB)?.snapshotsSent).toBe(1);
      expect(b.counters().get(idA)).toMatchObject({ snapshotsReceived: 1, snapshotsReceiveFailed: 0 });
    });

    it('reports a snapshot the receiver rejects as failed to the sender', async () => {
      atB.snapshotHandler = async (_message, chunks) => {
        for await (const _chunk of chunks) throw new Error('disk full');
      };
      a.sendSnapshot(snapshotMessage(idA, idB), snapshotData(2 * MIB, 256 * 1024));
      await waitFor('the snapshot status', () => atA.snapshotStatuses.length === 1, 10_000);
      expect(atA.snapshotStatuses).toEqual([{ peer: idB, ok: false }]);
      expect(a.counters().get(idB)?.snapshotsFailed).toBe(1);
      expect(b.counters().get(idA)).toMatchObject({ snapshotsReceived: 0, snapshotsReceiveFailed: 1 });
    });

    it('fails a snapshot whose data source breaks, on both sides', async () => {
      const broken = async function* (): AsyncGenerator<Uint8Array> {
        yield new Uint8Array(64 * 1024);
        yield new Uint8Array(64 * 1024);
        // By now the receiver is reading: it must see the failure, not wait forever.
        await sleep(100);
        throw new Error('snapshot file vanished');
      };
      a.sendSnapshot(snapshotMessage(idA, idB), broken);
      await waitFor('the snapshot status', () => atA.snapshotStatuses.length === 1, 10_000);
      expect(atA.snapshotStatuses).toEqual([{ peer: idB, ok: false }]);
      await waitFor('the receiver to see the failure', () => atB.snapshotErrors.length === 1);
      expect(atB.snapshots).toHaveLength(0);
    });

    it('fails a snapshot whose handler returns before reading every chunk', async () => {
      atB.snapshotHandler = async (_message, chunks) => {
        for await (const _chunk of chunks) return;
      };
      a.sendSnapshot(snapshotMessage(idA, idB), snapshotData(4 * MIB, 64 * 1024));
      await waitFor('the snapshot status', () => atA.snapshotStatuses.length === 1, 10_000);
      expect(atA.snapshotStatuses).toEqual([{ peer: idB, ok: false }]);
    });

    it('keeps one snapshot in flight per peer: a second one meanwhile fails, the first completes', async () => {
      let release = (): void => undefined;
      const released = new Promise<void>((resolve) => (release = resolve));
      atB.snapshotHandler = async (message, chunks) => {
        await released;
        await atB.collectSnapshot(message, chunks);
      };
      a.sendSnapshot(snapshotMessage(idA, idB), snapshotData(MIB, 128 * 1024));
      a.sendSnapshot(snapshotMessage(idA, idB), snapshotData(MIB, 128 * 1024));
      await waitFor('the second snapshot to fail', () => atA.snapshotStatuses.length === 1);
      expect(atA.snapshotStatuses).toEqual([{ peer: idB, ok: false }]);
      release();
      await waitFor('the first snapshot to finish', () => atA.snapshotStatuses.length === 2, 10_000);
      expect(atA.snapshotStatuses[1]).toEqual({ peer: idB, ok: true });
      expect(atB.snapshots).toHaveLength(1);
    });

    it('takes nothing more after close: sends are dropped and calls refused', async () => {
      await a.close();
      a.send([appendMessage(idA, idB, 1)]);
      const failure = await a.call(idB, 'echo', new Uint8Array(), 500).catch((error: unknown) => error);
      expect(isTransportError(failure, 'TRANSPORT_CLOSED')).toBe(true);
      await sleep(50);
      expect(atB.messages).toHaveLength(0);
    });
  });
}
