// Sends one snapshot over a Snapshot client stream: the encoded Raft message first, then the
// data in chunks of at most snapshotChunkBytesMax, pulled from the caller's iterable only as
// fast as the stream drains, so a snapshot of any size never sits in memory whole. Resolves
// when the receiver has consumed and accepted every chunk; rejects otherwise.

import type { Client, ClientWritableStream, Metadata, ServiceError } from '@grpc/grpc-js';
import type { Message } from '../raft/types.js';
import type { PeerCounters } from './peer-counters.js';
import { peerService } from './peer-service.js';
import { sliceChunks } from './snapshot-chunks.js';
import { encodeSnapshotChunk, encodeSnapshotHeader, encodeSnapshotTrailer } from './wire-format.js';

export interface SnapshotSend {
  readonly client: Client;
  readonly metadata: Metadata;
  readonly message: Message;
  readonly chunks: AsyncIterable<Uint8Array>;
  readonly chunkBytesMax: number;
  readonly counters: PeerCounters;
  /** Aborting cancels the stream (the transport closing). */
  readonly signal: AbortSignal;
}

export async function sendSnapshotStream(send: SnapshotSend): Promise<void> {
  let call: ClientWritableStream<Buffer> | undefined;
  const completed = new Promise<void>((resolve, reject) => {
    call = send.client.makeClientStreamRequest(
      peerService.snapshot.path,
      peerService.snapshot.requestSerialize,
      peerService.snapshot.responseDeserialize,
      send.metadata,
      {},
      (error: ServiceError | null) => (error === null ? resolve() : reject(error)),
    );
  });
  const stream = call!;
  const cancel = (): void => stream.cancel();
  send.signal.addEventListener('abort', cancel);
  try {
    await Promise.all([completed, writeAll(stream, send, completed)]);
  } catch (error) {
    stream.cancel();
    await completed.catch(() => undefined);
    throw error;
  } finally {
    send.signal.removeEventListener('abort', cancel);
  }
}

/** Writes the message and every chunk, waiting for 'drain' (or the call's end) when full. */
async function writeAll(stream: ClientWritableStream<Buffer>, send: SnapshotSend, completed: Promise<void>): Promise<void> {
  const ended = completed.then(
    () => 'ended' as const,
    () => 'ended' as const,
  );
  const drained = (): Promise<'drained' | 'ended'> =>
    Promise.race([new Promise<'drained'>((resolve) => stream.once('drain', () => resolve('drained'))), ended]);
  let writable = stream.write(encodeSnapshotHeader(send.message));
  let totalBytes = 0;
  for await (const chunk of sliceChunks(send.chunks, send.chunkBytesMax)) {
    if (!writable && (await drained()) === 'ended') return;
    totalBytes += chunk.byteLength;
    send.counters.bytesSent += chunk.byteLength;
    writable = stream.write(encodeSnapshotChunk(chunk));
  }
  stream.write(encodeSnapshotTrailer(totalBytes));
  stream.end();
}
