// A byte stream sealed chunk by chunk, for what leaves or enters a member as a stream: backups
// (`bvault admin backup`) and the state-machine snapshots received from a leader and kept on
// disk until restored.
//
//   magic "BVSEALED" 01 | frames: sealed length u32 | sealed record (record-cipher.ts)
//
// Each chunk is authenticated by its GCM tag. Dropping, repeating or reordering whole frames
// is caught by the stream inside: the MVCC snapshot format ends with a record count and a
// SHA-256 over everything before it (src/mvcc/snapshot.ts), and a stream cut inside a frame is
// refused here. A stream that does not start with the magic is passed through unchanged: a
// backup taken without encryption restores on a member with a key.

import { EncryptionError } from './errors.js';
import type { RecordCipher } from './record-cipher.js';

export const SEALED_STREAM_MAGIC = Buffer.from('BVSEALED\u0001', 'latin1');
const LENGTH_BYTES = 4;
/** Chunks are about a MiB (SNAPSHOT_CHUNK_BYTES); anything far larger is damage, not data. */
export const SEALED_FRAME_BYTES_MAX = 64 * 1024 * 1024;

/** Seals each chunk under the cipher's newest key; passes the stream through when encryption is off. */
export async function* sealStream(chunks: AsyncIterable<Uint8Array>, cipher: RecordCipher): AsyncIterable<Uint8Array> {
  if (!cipher.enabled) {
    yield* chunks;
    return;
  }
  yield SEALED_STREAM_MAGIC;
  for await (const chunk of chunks) {
    if (chunk.byteLength === 0) continue;
    const sealed = cipher.seal(chunk);
    const length = Buffer.allocUnsafe(LENGTH_BYTES);
    length.writeUInt32BE(sealed.byteLength);
    yield Buffer.concat([length, sealed]);
  }
}

/**
 * The plaintext of a sealed stream, chunk by chunk, or the stream unchanged when it is not
 * sealed. Throws an EncryptionError naming `where` (and the key id) for a missing key, a
 * failed tag, or a stream cut short.
 */
export async function* openStream(chunks: AsyncIterable<Uint8Array>, cipher: RecordCipher, where: string): AsyncIterable<Uint8Array> {
  let pending: Buffer = Buffer.alloc(0);
  let sealed: boolean | undefined;
  for await (const chunk of chunks) {
    pending = pending.byteLength === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([pending, chunk]);
    if (sealed === undefined) {
      if (pending.byteLength < SEALED_STREAM_MAGIC.byteLength && SEALED_STREAM_MAGIC.subarray(0, pending.byteLength).equals(pending)) continue;
      sealed = pending.subarray(0, SEALED_STREAM_MAGIC.byteLength).equals(SEALED_STREAM_MAGIC);
      if (sealed) pending = pending.subarray(SEALED_STREAM_MAGIC.byteLength);
    }
    if (!sealed) {
      yield pending;
      pending = Buffer.alloc(0);
      continue;
    }
    let offset = 0;
    while (pending.byteLength - offset >= LENGTH_BYTES) {
      const length = pending.readUInt32BE(offset);
      if (length > SEALED_FRAME_BYTES_MAX) {
        throw new EncryptionError('ENCRYPTION_RECORD_MALFORMED', { where, reason: `a frame of ${length} bytes is over the limit of ${SEALED_FRAME_BYTES_MAX}` });
      }
      if (pending.byteLength - offset - LENGTH_BYTES < length) break;
      const start = offset + LENGTH_BYTES;
      yield cipher.open(pending.subarray(start, start + length), where);
      offset = start + length;
    }
    pending = pending.subarray(offset);
  }
  if (pending.byteLength > 0 && sealed !== false) {
    throw new EncryptionError('ENCRYPTION_RECORD_MALFORMED', { where, reason: `the stream ends inside a frame, ${pending.byteLength} bytes into it` });
  }
}
