// Peer transport throughput: messages/s and MB/s of Append messages between two
// GrpcTransports on loopback, for a few entry sizes. The sender keeps its queue for the peer
// topped up without overflowing it (a drop would not be counted as throughput), the
// receiver counts what arrives. Both transports share this process, so the figures include
// both sides' CPU on one core. Figures only, no pass/fail.
//
//   npx tsx bench/transport-bench.ts [seconds per run, default 3]

import { EntryType, MessageType, groupId, logIndex, nodeId, term, type Message } from '../src/raft/index.js';
import { GrpcTransport, type TransportHandlers } from '../src/transport/index.js';

const runSeconds = Number(process.argv[2] ?? 3);
const RUNS = [
  { entryBytes: 64, entriesPerMessage: 1, messagesPerSend: 64 },
  { entryBytes: 256, entriesPerMessage: 1, messagesPerSend: 64 },
  { entryBytes: 4096, entriesPerMessage: 1, messagesPerSend: 16 },
  // A leader replicating under load sends few appends carrying many entries each.
  { entryBytes: 256, entriesPerMessage: 64, messagesPerSend: 4 },
];
const SENDER = nodeId(1);
const RECEIVER = nodeId(2);
/** Refill when fewer than this many messages wait for the peer. */
const QUEUED_MESSAGES_LOW = 1024;

function append(index: number, data: Uint8Array, entriesPerMessage: number): Message {
  const entries = Array.from({ length: entriesPerMessage }, (_, offset) => ({
    term: term(2),
    index: logIndex(index + 1 + offset),
    type: EntryType.Normal,
    data,
  }));
  return {
    type: MessageType.Append,
    groupId: groupId(0),
    to: RECEIVER,
    from: SENDER,
    term: term(2),
    logTerm: term(2),
    index: logIndex(index),
    entries,
    commit: logIndex(index),
    snapshot: null,
    reject: false,
    rejectHint: logIndex(0),
    context: new Uint8Array(0),
  };
}

function handlers(onMessages: (count: number) => void): TransportHandlers {
  return {
    onMessages: (messages) => onMessages(messages.length),
    onSnapshot: async () => undefined,
    onUnreachable: () => undefined,
    onSnapshotStatus: () => undefined,
  };
}

async function run(entryBytes: number, entriesPerMessage: number, messagesPerSend: number): Promise<void> {
  const options = { clusterId: 'bench', listenAddress: '127.0.0.1:0' };
  const sender = new GrpcTransport({ ...options, memberId: SENDER });
  const receiver = new GrpcTransport({ ...options, memberId: RECEIVER });
  let received = 0;
  await receiver.start(handlers((count) => (received += count)));
  await sender.start(handlers(() => undefined));
  sender.setPeer(RECEIVER, `127.0.0.1:${receiver.port}`);
  const data = new Uint8Array(entryBytes).fill(7);
  const batch = Array.from({ length: messagesPerSend }, (_, index) => append(index * entriesPerMessage, data, entriesPerMessage));
  const startMs = performance.now();
  const endMs = startMs + runSeconds * 1000;
  while (performance.now() < endMs) {
    while (sender.queuedFor(RECEIVER).messages < QUEUED_MESSAGES_LOW) sender.send(batch);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const seconds = (performance.now() - startMs) / 1000;
  const counters = sender.counters().get(RECEIVER)!;
  const megabytes = (received / counters.messagesSent) * (counters.bytesSent / 1e6);
  console.log(
    `${entriesPerMessage} x ${entryBytes} B entries per message, ${messagesPerSend} per send: ` +
      `${Math.round(received / seconds).toLocaleString('en-US')} messages/s, ${(megabytes / seconds).toFixed(1)} MB/s, ` +
      `${(counters.messagesSent / counters.framesSent).toFixed(0)} messages per frame, ` +
      `smoothed round trip under this load ${counters.roundTripMs.toFixed(1)} ms, dropped ${counters.messagesDropped}`,
  );
  await Promise.all([sender.close(), receiver.close()]);
}

for (const { entryBytes, entriesPerMessage, messagesPerSend } of RUNS) await run(entryBytes, entriesPerMessage, messagesPerSend);
