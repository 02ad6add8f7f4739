// The in-memory transport: the shared contract, and the faults a node test provokes with it
// (cut links, isolation, delay).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeId } from '../../src/raft/index.js';
import { nodeId } from '../../src/raft/index.js';
import { InMemoryNetwork, type InMemoryTransport } from '../../src/transport/index.js';
import { describeTransportContract, type TransportCluster } from './transport-contract.js';
import { Recorder, appendMessage, sleep, snapshotData, snapshotMessage, waitFor } from './transport-helpers.js';

async function inMemoryCluster(count: number, network = new InMemoryNetwork()): Promise<TransportCluster & { transports: InMemoryTransport[] }> {
  const ids = Array.from({ length: count }, (_, index) => nodeId(index + 1));
  const transports = ids.map((id) => network.createTransport(id, `member-${id}`));
  const recorders = ids.map(() => new Recorder());
  await Promise.all(transports.map((transport, index) => transport.start(recorders[index]!)));
  for (const transport of transports) for (const id of ids) if (id !== transport.id) transport.setPeer(id, `member-${id}`);
  return { transports, ids, recorders, close: async () => void (await Promise.all(transports.map((transport) => transport.close()))) };
}

describeTransportContract('InMemoryTransport', (count) => inMemoryCluster(count));

describe('InMemoryNetwork faults', () => {
  let network: InMemoryNetwork;
  let cluster: TransportCluster & { transports: InMemoryTransport[] };
  let a: InMemoryTransport;
  let idA: NodeId;
  let idB: NodeId;
  let idC: NodeId;
  let atA: Recorder;
  let atB: Recorder;
  let atC: Recorder;

  beforeEach(async () => {
    network = new InMemoryNetwork();
    cluster = await inMemoryCluster(3, network);
    a = cluster.transports[0]!;
    [idA, idB, idC] = cluster.ids as [NodeId, NodeId, NodeId];
    [atA, atB, atC] = cluster.recorders as [Recorder, Recorder, Recorder];
  });

  afterEach(() => cluster.close());

  it('a cut link carries nothing either way and reports the peer unreachable, until healed', async () => {
    network.cut(idA, idB);
    a.send([appendMessage(idA, idB, 1), appendMessage(idA, idC, 2)]);
    cluster.transports[1]!.send([appendMessage(idB, idA, 3)]);
    await waitFor('the report and the delivery to c', () => atA.unreachable.includes(idB) && atC.messages.length === 1);
    await sleep(20);
    expect(atB.messages).toHaveLength(0);
    expect(atA.messages).toHaveLength(0);
    network.heal(idA, idB);
    a.send([appendMessage(idA, idB, 4)]);
    await waitFor('delivery after healing', () => atB.messages.length === 1);
  });

  it('loses messages already in flight when the link is cut', async () => {
    network.setDelay(idA, idB, 50);
    a.send([appendMessage(idA, idB, 1)]);
    network.cut(idA, idB);
    await sleep(100);
    expect(atB.messages).toHaveLength(0);
  });

  it('an isolated member neither sends nor receives, and calls to it fail as unreachable', async () => {
    network.isolate(idB);
    a.send([appendMessage(idA, idB, 1)]);
    cluster.transports[1]!.send([appendMessage(idB, idC, 2)]);
    const failure = await a.call(idB, 'echo', new Uint8Array(), 500).catch((error: unknown) => error);
    expect((failure as { code?: string }).code).toBe('TRANSPORT_UNREACHABLE');
    await sleep(20);
    expect(atB.messages).toHaveLength(0);
    expect(atC.messages).toHaveLength(0);
    network.rejoin(idB);
    a.send([appendMessage(idA, idB, 3)]);
    await waitFor('delivery after rejoining', () => atB.messages.length === 1);
  });

  it('a delayed link delivers no earlier than its delay and keeps the order when the delay shrinks', async () => {
    network.setDelay(idA, idB, 80);
    const sentMs = Date.now();
    a.send([appendMessage(idA, idB, 1)]);
    network.setDelay(idA, idB, 0);
    a.send([appendMessage(idA, idB, 2)]);
    await waitFor('both messages', () => atB.messages.length === 2);
    expect(Date.now() - sentMs).toBeGreaterThanOrEqual(75);
    expect(atB.messages.map((message) => message.index)).toEqual([1, 2]);
  });

  it('a full link queue drops further messages and reports the peer', async () => {
    const small = network.createTransport(nodeId(7), 'member-7', { queuedMessagesMax: 10 });
    const atSmall = new Recorder();
    await small.start(atSmall);
    small.setPeer(idB, `member-${idB}`);
    network.setDelay(nodeId(7), idB, 30);
    small.send(Array.from({ length: 25 }, (_, index) => appendMessage(nodeId(7), idB, index)));
    small.send(Array.from({ length: 5 }, (_, index) => appendMessage(nodeId(7), idB, 100 + index)));
    await waitFor('the report', () => atSmall.unreachable.includes(idB));
    expect(small.counters().get(idB)).toMatchObject({ messagesDropped: 25, messagesSent: 5 });
    await waitFor('the accepted batch', () => atB.messages.length === 5);
    await small.close();
  });

  it('a snapshot fails when the link is cut midway', async () => {
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    atB.snapshotHandler = async (message, chunks) => {
      await released;
      await atB.collectSnapshot(message, chunks);
    };
    a.sendSnapshot(snapshotMessage(idA, idB), snapshotData(1024 * 1024, 64 * 1024));
    await sleep(10);
    network.cut(idA, idB);
    release();
    await waitFor('the snapshot status', () => atA.snapshotStatuses.length === 1);
    expect(atA.snapshotStatuses).toEqual([{ peer: idB, ok: false }]);
  });

  it('refuses a second transport at an address in use', () => {
    const duplicate = network.createTransport(nodeId(8), `member-${idA}`);
    return expect(duplicate.start(new Recorder())).rejects.toThrow(/already in use/);
  });
});
