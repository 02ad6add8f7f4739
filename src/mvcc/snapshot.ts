// The snapshot stream format: a magic header with a format version, then (key, value)
// records of the whole generation with keys relative to it, then a trailer with the record
// count and a SHA-256 over everything before the trailer. The reader is incremental (chunk
// boundaries may fall anywhere) and names what is wrong with a corrupt or truncated stream.
import { createHash, type Hash } from 'node:crypto';
import { ByteReader, ByteWriter } from './byte-codec.js';
import { MvccError } from './errors.js';

const MAGIC = Buffer.from('BVMVCC\u0000\u0001', 'latin1');
const RECORD_TAG = 0x01;
const TRAILER_TAG = 0x02;
const DIGEST_BYTES = 32;
export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;

export interface SnapshotRecord {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** Turns records into chunks of about SNAPSHOT_CHUNK_BYTES. */
export async function* encodeSnapshot(records: AsyncIterable<ReadonlyArray<SnapshotRecord>>): AsyncIterable<Uint8Array> {
  const hash = createHash('sha256');
  const writer = new ByteWriter(SNAPSHOT_CHUNK_BYTES + 1024);
  writer.raw(MAGIC);
  let count = 0;
  for await (const page of records) {
    for (const record of page) {
      writer.byte(RECORD_TAG);
      writer.bytes(record.key);
      writer.bytes(record.value);
      count++;
    }
    if (writer.size >= SNAPSHOT_CHUNK_BYTES) yield flush(writer, hash);
  }
  const body = flush(writer, hash);
  writer.byte(TRAILER_TAG);
  writer.uint(count);
  writer.raw(hash.digest());
  yield Buffer.concat([body, writer.finish()]);
}

function flush(writer: ByteWriter, hash: Hash): Buffer {
  const chunk = writer.finish();
  hash.update(chunk);
  writer.reset();
  return chunk;
}

const invalid = (reason: string): MvccError => new MvccError('MVCC_SNAPSHOT_INVALID', { reason });

/** Parses a snapshot stream incrementally; `finish` verifies count and checksum. */
export class SnapshotReader {
  private pending: Buffer = Buffer.alloc(0);
  private readonly hash = createHash('sha256');
  private sawHeader = false;
  private count = 0;
  private trailer: { count: number; digest: Uint8Array } | undefined;
  private consumed = 0;

  /** Returns the complete records in `chunk` (and earlier leftovers). */
  push(chunk: Uint8Array): SnapshotRecord[] {
    if (this.trailer !== undefined) throw invalid(`unexpected bytes after the trailer at offset ${this.consumed}`);
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    if (!this.sawHeader) {
      if (this.pending.length < MAGIC.length) return [];
      if (!this.pending.subarray(0, MAGIC.length).equals(MAGIC)) throw invalid('the stream does not start with the Beaver-Vault MVCC snapshot header (wrong file or unsupported format version)');
      this.take(MAGIC.length);
      this.sawHeader = true;
    }
    return this.parseRecords();
  }

  finish(): number {
    if (!this.sawHeader) throw invalid('the stream is empty or shorter than its header');
    if (this.trailer === undefined) throw invalid(`the stream is truncated: no trailer after ${this.count} records (${this.consumed} bytes)`);
    if (this.pending.length > 0) throw invalid(`${this.pending.length} unexpected bytes after the trailer`);
    if (this.trailer.count !== this.count) throw invalid(`the trailer announces ${this.trailer.count} records but the stream holds ${this.count}`);
    if (!Buffer.from(this.trailer.digest).equals(this.hash.digest())) throw invalid('checksum mismatch: the stream is corrupt');
    return this.count;
  }

  private parseRecords(): SnapshotRecord[] {
    const records: SnapshotRecord[] = [];
    while (this.pending.length > 0 && this.trailer === undefined) {
      const reader = new ByteReader(this.pending);
      try {
        const tag = reader.byte('tag');
        if (tag === RECORD_TAG) {
          const key = reader.bytesField('record key');
          const value = reader.bytesField('record value');
          records.push({ key, value });
          this.count++;
          this.take(reader.position);
        } else if (tag === TRAILER_TAG) {
          const count = reader.uint('trailer record count');
          const digest = reader.raw(DIGEST_BYTES, 'trailer checksum');
          this.trailer = { count, digest };
          this.pending = this.pending.subarray(reader.position);
        } else {
          throw invalid(`unknown record tag ${tag} at offset ${this.consumed}`);
        }
      } catch (error) {
        // An incomplete record at the end of a chunk: wait for more bytes.
        if (error instanceof RangeError) break;
        throw error;
      }
    }
    return records;
  }

  private take(length: number): void {
    this.hash.update(this.pending.subarray(0, length));
    this.consumed += length;
    this.pending = this.pending.subarray(length);
  }
}
