// etcd's Snapshot stream is its bolt database followed by the database's SHA-256, and etcdctl
// 3.4 refuses a saved snapshot whose size is not 32 more than a multiple of 512 ("sha256
// checksum not found"), since bolt pages are multiples of 512 bytes. Our backup is no bolt
// file, so the stream is framed to the same shape: the backup, padding up to a 512-byte
// boundary whose last 8 bytes hold the backup's length, and the SHA-256 of all before it.
// `etcdctl snapshot restore` cannot read the backup inside (it is not bolt);
// `unwrapEtcdSnapshot` recovers it for Beaver-Vault's own restore.
import { createHash } from 'node:crypto';
import { mvccError } from '../../../mvcc/index.js';

const ETCD_SNAPSHOT_ALIGNMENT_BYTES = 512;
const SHA256_BYTES = 32;
const LENGTH_BYTES = 8;

/** The backup's chunks as they come, then one final chunk of padding, length and checksum. */
export async function* etcdSnapshotFrames(backup: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of backup) {
    hash.update(chunk);
    sizeBytes += chunk.byteLength;
    yield chunk;
  }
  const unaligned = (sizeBytes + LENGTH_BYTES) % ETCD_SNAPSHOT_ALIGNMENT_BYTES;
  const padding = Buffer.alloc((ETCD_SNAPSHOT_ALIGNMENT_BYTES - unaligned) % ETCD_SNAPSHOT_ALIGNMENT_BYTES + LENGTH_BYTES);
  padding.writeBigUInt64BE(BigInt(sizeBytes), padding.length - LENGTH_BYTES);
  hash.update(padding);
  yield Buffer.concat([padding, hash.digest()]);
}

/** The backup inside a framed etcd snapshot, after checking the checksum and the length. */
export function unwrapEtcdSnapshot(framed: Uint8Array): Uint8Array {
  const bodyBytes = framed.byteLength - SHA256_BYTES;
  if (bodyBytes < LENGTH_BYTES || bodyBytes % ETCD_SNAPSHOT_ALIGNMENT_BYTES !== 0) {
    throw mvccError('MVCC_SNAPSHOT_INVALID', { reason: `a framed etcd snapshot is 32 bytes more than a multiple of 512, not ${framed.byteLength} bytes` });
  }
  const body = Buffer.from(framed.buffer, framed.byteOffset, bodyBytes);
  if (!createHash('sha256').update(body).digest().equals(framed.subarray(bodyBytes))) {
    throw mvccError('MVCC_SNAPSHOT_INVALID', { reason: 'the etcd snapshot\'s SHA-256 does not match its contents' });
  }
  const backupBytes = Number(body.readBigUInt64BE(bodyBytes - LENGTH_BYTES));
  if (backupBytes > bodyBytes - LENGTH_BYTES) throw mvccError('MVCC_SNAPSHOT_INVALID', { reason: `the recorded backup length ${backupBytes} exceeds the snapshot` });
  return body.subarray(0, backupBytes);
}
