// What the transport tests share: a recorder that plays the node's part (TransportHandlers),
// Raft messages that name themselves, deterministic snapshot data and a bounded wait.

import { createHash } from 'node:crypto';
import type { Message, NodeId } from '../../src/raft/index.js';
import { EntryType, MessageType, groupId, logIndex, nodeId, term } from '../../src/raft/index.js';
import type { TransportHandlers } from '../../src/transport/index.js';

export interface ReceivedSnapshot {
  readonly message: Message;
  readonly bytes: number;
  readonly chunks: number;
  readonly largestChunkBytes: number;
  readonly sha256: string;
}

/** Records what a transport hands to its node; the snapshot handler can be replaced per test. */
export class Recorder implements TransportHandlers {
  readonly batches: Message[][] = [];
  readonly unreachable: NodeId[] = [];
  readonly snapshotStatuses: { peer: NodeId; ok: boolean }[] = [];
  readonly snapshots: ReceivedSnapshot[] = [];
  readonly snapshotErrors: Error[] = [];
  snapshotHandler: (message: Message, chunks: AsyncIterable<Uint8Array>) => Promise<void> = (message, chunks) =>
    this.collectSnapshot(message, chunks);

  get messages(): Message[] {
    return this.batches.flat();
  }

  onMessages(messages: readonly Message[]): void {
    this.batches.push([...messages]);
  }

  async onSnapshot(message: Message, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    try {
      await this.snapshotHandler(message, chunks);
    } catch (error) {
      this.snapshotErrors.push(error as Error);
      throw error;
    }
  }

  onUnreachable(peer: NodeId): void {
    this.unreachable.push(peer);
  }

  onSnapshotStatus(peer: NodeId, ok: boolean): void {
    this.snapshotStatuses.push({ peer, ok });
  }

  async collectSnapshot(message: Message, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const hash = createHash('sha256');
    let bytes = 0;
    let count = 0;
    let largestChunkBytes = 0;
    for await (const chunk of chunks) {
      hash.update(chunk);
      bytes += chunk.byteLength;
      count += 1;
      largestChunkBytes = Math.max(largestChunkBytes, chunk.byteLength);
    }
    this.snapshots.push({ message, bytes, chunks: count, largestChunkBytes, sha256: hash.digest('hex') });
  }
}

/** An append whose index and data name it, so order and integrity can be checked. */
export function appendMessage(from: NodeId, to: NodeId, index: number, dataBytes = 16): Message {
  const data = new Uint8Array(dataBytes).fill(index % 251);
  return {
    type: MessageType.Append,
    groupId: groupId(0),
    to,
    from,
    term: term(3),
    logTerm: term(2),
    index: logIndex(index),
    entries: [{ term: term(3), index: logIndex(index + 1), type: EntryType.Normal, data }],
    commit: logIndex(index),
    snapshot: null,
    reject: false,
    rejectHint: logIndex(0),
    context: new Uint8Array([1, 2, 3]),
  };
}

export function snapshotMessage(from: NodeId, to: NodeId): Message {
  const confState = { voters: [from, to], learners: [nodeId(9)], votersOutgoing: [], learnersNext: [], autoLeave: false };
  return {
    ...appendMessage(from, to, 0),
    type: MessageType.Snapshot,
    entries: [],
    snapshot: { metadata: { index: logIndex(500), term: term(4), confState }, data: new Uint8Array([7, 7]) },
  };
}

/** Deterministic pseudo-random snapshot data, produced lazily in chunks of `chunkBytes`. */
export function snapshotData(totalBytes: number, chunkBytes: number, produced?: { chunks: number }): () => AsyncIterable<Uint8Array> {
  return async function* generate() {
    let seed = 12345;
    for (let offset = 0; offset < totalBytes; offset += chunkBytes) {
      const chunk = new Uint8Array(Math.min(chunkBytes, totalBytes - offset));
      for (let i = 0; i < chunk.length; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        chunk[i] = seed >>> 24;
      }
      if (produced !== undefined) produced.chunks += 1;
      yield chunk;
    }
  };
}

export async function sha256Of(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

/** Polls until `condition` holds, failing with `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Message fields as plain comparable values (a Buffer and a Uint8Array of equal bytes compare equal). */
export function shapeOf(message: Message): unknown {
  return JSON.parse(JSON.stringify(message, (_key, value: unknown) => (value instanceof Uint8Array ? Array.from(value) : value)));
}
