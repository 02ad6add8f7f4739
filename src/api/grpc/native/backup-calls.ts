// Backup streams a consistent snapshot of the store in chunks and ends with the SHA-256 of all
// of them; Restore receives such a stream and replaces the whole cluster's state through Raft.
// A checksum that does not match refuses the restore before anything is proposed.
import { createHash } from 'node:crypto';
import { MvccError } from '../../../mvcc/index.js';
import type { BackupChunk, RestoreChunk, RestoreResponse } from '../../../generated/beavervault/v1/kv.js';
import type { KvNode } from '../../../node/kv-node.js';
import type { OutgoingStream } from '../call-handlers.js';
import type { GrpcContext } from '../grpc-context.js';

export async function streamBackup(context: GrpcContext, node: KvNode, stream: OutgoingStream<BackupChunk>): Promise<void> {
  const hash = createHash('sha256');
  let totalBytes = 0;
  const chunkBytesMax = context.limits.backupChunkBytesMax;
  for await (const bytes of node.backup()) {
    for (let offset = 0; offset < bytes.length; offset += chunkBytesMax) {
      const data = bytes.subarray(offset, offset + chunkBytesMax);
      hash.update(data);
      totalBytes += data.length;
      if (!(await stream.send({ data, sha256: new Uint8Array(0), totalBytes: 0n }))) return;
    }
  }
  await stream.send({ data: new Uint8Array(0), sha256: hash.digest(), totalBytes: BigInt(totalBytes) });
}

export async function receiveRestore(context: GrpcContext, node: KvNode, chunks: AsyncIterable<RestoreChunk>): Promise<RestoreResponse> {
  const received = { bytes: 0 };
  await node.restore(verifiedData(chunks, received));
  return { header: context.headers.header(), restoredBytes: BigInt(received.bytes) };
}

/** The chunks' data; fails at the end, before the node proposes anything, on a checksum mismatch. */
async function* verifiedData(chunks: AsyncIterable<RestoreChunk>, received: { bytes: number }): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  let expected: Uint8Array | undefined;
  for await (const chunk of chunks) {
    if (expected !== undefined) throw new MvccError('MVCC_SNAPSHOT_INVALID', { reason: 'a chunk followed the one that carried the checksum' });
    hash.update(chunk.data);
    received.bytes += chunk.data.length;
    if (chunk.sha256.length > 0) expected = chunk.sha256;
    if (chunk.data.length > 0) yield chunk.data;
  }
  if (expected !== undefined && !hash.digest().equals(expected)) {
    throw new MvccError('MVCC_SNAPSHOT_INVALID', { reason: 'the SHA-256 of the received data does not match the checksum sent' });
  }
}
