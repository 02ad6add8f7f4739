// Snapshot files under raft/snapshots, named <term>-<index>.snap:
//   magic "BVSN" | format version u8 | group id u64 | metadata length u32 | metadata | data | crc32 u32
// The CRC covers every byte before it. A file is written under a temporary name, fsynced,
// renamed and the directory fsynced, so a crash leaves either the whole file or none.
// Opening loads the newest snapshot and refuses a damaged one: falling back to an older
// snapshot would hide the damage and could pair the log with the wrong state.

import { crc32 } from 'node:zlib';
import { open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CodecError } from '../codec/errors.js';
import { decodeSnapshotMetadata, encodeSnapshotMetadata } from '../codec/raft-codec.js';
import type { GroupId, Snapshot } from '../raft/types.js';
import { SnapshotChecksumError, StorageCorruptError } from './errors.js';
import type { IoStats } from './file-io.js';
import { syncData, syncDirectory, writeFully } from './file-io.js';
import type { SnapshotName } from './file-names.js';
import { TEMPORARY_SUFFIX, parseSnapshotFileName, snapshotFileName } from './file-names.js';

const MAGIC = Buffer.from('BVSN', 'ascii');
const FORMAT_VERSION = 1;
const HEADER_BYTES = MAGIC.byteLength + 1 + 8 + 4;
const CHECKSUM_BYTES = 4;
const UINT32_RANGE = 0x1_0000_0000;

export class SnapshotFiles {
  constructor(
    private readonly directory: string,
    private readonly group: GroupId,
    /** Older snapshots beyond this many are deleted once a newer one is durable. */
    private readonly snapshotsRetainedMax: number,
    private readonly stats: IoStats,
  ) {}

  /** Writes the snapshot durably, then deletes the oldest beyond the retention limit. */
  async write(snapshot: Snapshot): Promise<void> {
    const name = snapshotFileName(snapshot.metadata);
    const temporary = join(this.directory, name + TEMPORARY_SUFFIX);
    const header = this.header(snapshot);
    const trailer = Buffer.alloc(CHECKSUM_BYTES);
    trailer.writeUInt32BE(crc32(snapshot.data, crc32(header)));
    const handle = await open(temporary, 'w');
    try {
      await writeFully(handle, header, 0, this.stats);
      await writeFully(handle, snapshot.data, header.byteLength, this.stats);
      await writeFully(handle, trailer, header.byteLength + snapshot.data.byteLength, this.stats);
      await syncData(handle, this.stats);
    } finally {
      await handle.close();
    }
    await rename(temporary, join(this.directory, name));
    await syncDirectory(this.directory, this.stats);
    await this.deleteBeyondRetention();
  }

  /** The newest snapshot, or null if there is none. Removes temporary files a crash left. */
  async loadNewest(): Promise<Snapshot | null> {
    const listing = await readdir(this.directory);
    for (const fileName of listing) {
      if (fileName.endsWith(TEMPORARY_SUFFIX)) await unlink(join(this.directory, fileName));
    }
    const newest = sortedSnapshots(listing).at(-1);
    if (newest === undefined) return null;
    const file = join(this.directory, newest.fileName);
    return this.decode(await readFile(file), file, newest);
  }

  private header(snapshot: Snapshot): Buffer {
    const metadata = encodeSnapshotMetadata(snapshot.metadata);
    const header = Buffer.allocUnsafe(HEADER_BYTES + metadata.byteLength);
    MAGIC.copy(header, 0);
    header.writeUInt8(FORMAT_VERSION, MAGIC.byteLength);
    header.writeUInt32BE(Math.floor(this.group / UINT32_RANGE), MAGIC.byteLength + 1);
    header.writeUInt32BE(this.group % UINT32_RANGE, MAGIC.byteLength + 5);
    header.writeUInt32BE(metadata.byteLength, MAGIC.byteLength + 9);
    header.set(metadata, HEADER_BYTES);
    return header;
  }

  private decode(bytes: Buffer, file: string, name: SnapshotName): Snapshot {
    if (bytes.byteLength < HEADER_BYTES + CHECKSUM_BYTES) {
      throw new SnapshotChecksumError(file, `${bytes.byteLength} bytes is shorter than any snapshot file`);
    }
    const checksumAt = bytes.byteLength - CHECKSUM_BYTES;
    const stored = bytes.readUInt32BE(checksumAt);
    const computed = crc32(bytes.subarray(0, checksumAt));
    if (stored !== computed) throw new SnapshotChecksumError(file, `stored CRC ${stored}, computed ${computed}`);
    if (!bytes.subarray(0, MAGIC.byteLength).equals(MAGIC)) throw new StorageCorruptError(file, 0, 'not a snapshot file');
    const version = bytes.readUInt8(MAGIC.byteLength);
    if (version !== FORMAT_VERSION) throw new StorageCorruptError(file, MAGIC.byteLength, `unknown snapshot format ${version}`);
    const group = bytes.readUInt32BE(MAGIC.byteLength + 1) * UINT32_RANGE + bytes.readUInt32BE(MAGIC.byteLength + 5);
    if (group !== this.group) throw new StorageCorruptError(file, MAGIC.byteLength + 1, `snapshot of Raft group ${group}, expected ${this.group}`);
    const metadataEnd = HEADER_BYTES + bytes.readUInt32BE(MAGIC.byteLength + 9);
    if (metadataEnd > checksumAt) throw new StorageCorruptError(file, MAGIC.byteLength + 9, 'metadata length runs past the data');
    const metadata = decodeMetadata(bytes.subarray(HEADER_BYTES, metadataEnd), file);
    if (metadata.index !== name.index || metadata.term !== name.term) {
      throw new StorageCorruptError(file, HEADER_BYTES, `holds index ${metadata.index} term ${metadata.term}, unlike its name`);
    }
    return { metadata, data: bytes.subarray(metadataEnd, checksumAt) };
  }

  private async deleteBeyondRetention(): Promise<void> {
    const snapshots = sortedSnapshots(await readdir(this.directory));
    const excess = snapshots.slice(0, Math.max(0, snapshots.length - this.snapshotsRetainedMax));
    for (const { fileName } of excess) await unlink(join(this.directory, fileName));
    if (excess.length > 0) await syncDirectory(this.directory, this.stats);
  }
}

function decodeMetadata(bytes: Uint8Array, file: string): Snapshot['metadata'] {
  try {
    return decodeSnapshotMetadata(bytes);
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    throw new StorageCorruptError(file, HEADER_BYTES + error.offset, error.message, { cause: error });
  }
}

/** Snapshot files oldest first (by index; a later snapshot never has a lower index). */
function sortedSnapshots(fileNames: readonly string[]): (SnapshotName & { fileName: string })[] {
  const snapshots: (SnapshotName & { fileName: string })[] = [];
  for (const fileName of fileNames) {
    const name = parseSnapshotFileName(fileName);
    if (name !== null) snapshots.push({ ...name, fileName });
  }
  return snapshots.sort((a, b) => a.index - b.index || a.term - b.term);
}
