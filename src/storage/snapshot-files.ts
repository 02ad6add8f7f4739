// Snapshot files under raft/snapshots, named <term>-<index>.snap:
//   magic "BVSN" | format version u8 | origin u8 | group id u64 | metadata length u32 | metadata
//   | data | crc32 u32
// The CRC covers every byte before it. Format 2 is format 1 with the data sealed
// (encryption at rest, src/encryption/record-cipher.ts); the metadata (index, term, voter and
// learner ids) stays readable, as the WAL's frames do. The origin byte says whether the snapshot was applied
// from a leader (it replaced the log) or created locally (the log kept its entries), so that a
// crash between the file and its marker in the WAL can be finished on open without guessing.
// A file is written under a temporary name, fsynced, renamed and the directory fsynced, so a
// crash leaves either the whole file or none.
// Opening loads the newest snapshot and refuses a damaged one: falling back to an older
// snapshot would hide the damage and could pair the log with the wrong state.

import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { CodecError } from '../codec/errors.js';
import { decodeSnapshotMetadata, encodeSnapshotMetadata } from '../codec/raft-codec.js';
import type { RecordCipher } from '../encryption/record-cipher.js';
import type { GroupId, Snapshot } from '../raft/types.js';
import { SnapshotChecksumError, StorageCorruptError } from './errors.js';
import type { StorageIo } from './file-io.js';
import { syncData, syncDirectory, writeFully } from './file-io.js';
import type { SnapshotName } from './file-names.js';
import { TEMPORARY_SUFFIX, parseSnapshotFileName, snapshotFileName } from './file-names.js';

const MAGIC = Buffer.from('BVSN', 'ascii');
const FORMAT_VERSION_PLAIN = 1;
const FORMAT_VERSION_SEALED = 2;
const ORIGIN_AT = MAGIC.byteLength + 1;
const GROUP_AT = ORIGIN_AT + 1;
const METADATA_LENGTH_AT = GROUP_AT + 8;
const HEADER_BYTES = METADATA_LENGTH_AT + 4;
const CHECKSUM_BYTES = 4;
const UINT32_RANGE = 0x1_0000_0000;

export enum SnapshotOrigin {
  /** Made by this node from its state machine; the log still holds the entries it covers. */
  Created = 0,
  /** Received from a leader; it replaced the whole log. */
  Applied = 1,
}

export interface LoadedSnapshot {
  readonly snapshot: Snapshot;
  readonly origin: SnapshotOrigin;
}

export interface SnapshotFilesOptions {
  readonly group: GroupId;
  /** Older snapshots beyond this many are deleted once a newer one is durable. */
  readonly snapshotsRetainedMax: number;
  /** Seals the data of every file written; opens sealed files whatever it seals with. */
  readonly cipher: RecordCipher;
}

export class SnapshotFiles {
  private readonly group: GroupId;
  private readonly snapshotsRetainedMax: number;
  private readonly cipher: RecordCipher;

  constructor(
    private readonly directory: string,
    options: SnapshotFilesOptions,
    private readonly io: StorageIo,
  ) {
    this.group = options.group;
    this.snapshotsRetainedMax = options.snapshotsRetainedMax;
    this.cipher = options.cipher;
  }

  /** Writes the snapshot durably, then deletes the oldest beyond the retention limit. */
  async write(snapshot: Snapshot, origin: SnapshotOrigin): Promise<void> {
    const name = snapshotFileName(snapshot.metadata);
    const temporary = join(this.directory, name + TEMPORARY_SUFFIX);
    const header = this.header(snapshot, origin);
    const data = this.cipher.seal(snapshot.data);
    const trailer = Buffer.alloc(CHECKSUM_BYTES);
    trailer.writeUInt32BE(crc32(data, crc32(header)));
    const { fileSystem, stats } = this.io;
    const handle = await fileSystem.open(temporary, 'w');
    try {
      await writeFully(handle, header, 0, stats);
      await writeFully(handle, data, header.byteLength, stats);
      await writeFully(handle, trailer, header.byteLength + data.byteLength, stats);
      await syncData(handle, stats);
    } finally {
      await handle.close();
    }
    await fileSystem.rename(temporary, join(this.directory, name));
    await syncDirectory(this.directory, this.io);
    await this.deleteBeyondRetention();
  }

  /** The newest snapshot, or null if there is none. Removes temporary files a crash left. */
  async loadNewest(): Promise<LoadedSnapshot | null> {
    const { fileSystem } = this.io;
    const listing = await fileSystem.readdir(this.directory);
    for (const fileName of listing) {
      if (fileName.endsWith(TEMPORARY_SUFFIX)) await fileSystem.unlink(join(this.directory, fileName));
    }
    const newest = sortedSnapshots(listing).at(-1);
    if (newest === undefined) return null;
    const file = join(this.directory, newest.fileName);
    return this.decode(await fileSystem.readFile(file), file, newest);
  }

  private header(snapshot: Snapshot, origin: SnapshotOrigin): Buffer {
    const metadata = encodeSnapshotMetadata(snapshot.metadata);
    const header = Buffer.allocUnsafe(HEADER_BYTES + metadata.byteLength);
    MAGIC.copy(header, 0);
    header.writeUInt8(this.cipher.enabled ? FORMAT_VERSION_SEALED : FORMAT_VERSION_PLAIN, MAGIC.byteLength);
    header.writeUInt8(origin, ORIGIN_AT);
    header.writeUInt32BE(Math.floor(this.group / UINT32_RANGE), GROUP_AT);
    header.writeUInt32BE(this.group % UINT32_RANGE, GROUP_AT + 4);
    header.writeUInt32BE(metadata.byteLength, METADATA_LENGTH_AT);
    header.set(metadata, HEADER_BYTES);
    return header;
  }

  private decode(bytes: Buffer, file: string, name: SnapshotName): LoadedSnapshot {
    if (bytes.byteLength < HEADER_BYTES + CHECKSUM_BYTES) {
      throw new SnapshotChecksumError(file, `${bytes.byteLength} bytes is shorter than any snapshot file`);
    }
    const checksumAt = bytes.byteLength - CHECKSUM_BYTES;
    const stored = bytes.readUInt32BE(checksumAt);
    const computed = crc32(bytes.subarray(0, checksumAt));
    if (stored !== computed) throw new SnapshotChecksumError(file, `stored CRC ${stored}, computed ${computed}`);
    if (!bytes.subarray(0, MAGIC.byteLength).equals(MAGIC)) throw new StorageCorruptError(file, 0, 'not a snapshot file');
    const version = bytes.readUInt8(MAGIC.byteLength);
    if (version !== FORMAT_VERSION_PLAIN && version !== FORMAT_VERSION_SEALED) {
      throw new StorageCorruptError(file, MAGIC.byteLength, `unknown snapshot format ${version}`);
    }
    const origin = bytes.readUInt8(ORIGIN_AT);
    if (origin !== SnapshotOrigin.Created && origin !== SnapshotOrigin.Applied) {
      throw new StorageCorruptError(file, ORIGIN_AT, `unknown snapshot origin ${origin}`);
    }
    const group = bytes.readUInt32BE(GROUP_AT) * UINT32_RANGE + bytes.readUInt32BE(GROUP_AT + 4);
    if (group !== this.group) throw new StorageCorruptError(file, GROUP_AT, `snapshot of Raft group ${group}, expected ${this.group}`);
    const metadataEnd = HEADER_BYTES + bytes.readUInt32BE(METADATA_LENGTH_AT);
    if (metadataEnd > checksumAt) throw new StorageCorruptError(file, METADATA_LENGTH_AT, 'metadata length runs past the data');
    const metadata = decodeMetadata(bytes.subarray(HEADER_BYTES, metadataEnd), file);
    if (metadata.index !== name.index || metadata.term !== name.term) {
      throw new StorageCorruptError(file, HEADER_BYTES, `holds index ${metadata.index} term ${metadata.term}, unlike its name`);
    }
    const storedData = bytes.subarray(metadataEnd, checksumAt);
    const data = version === FORMAT_VERSION_SEALED ? this.cipher.open(storedData, `the snapshot file ${file}`) : storedData;
    return { snapshot: { metadata, data }, origin };
  }

  /** Deletes every snapshot file but the newest (after a key rotation, the older ones are under the old key). */
  removeAllButNewest(): Promise<void> {
    return this.deleteBeyond(1);
  }

  private deleteBeyondRetention(): Promise<void> {
    return this.deleteBeyond(this.snapshotsRetainedMax);
  }

  private async deleteBeyond(retained: number): Promise<void> {
    const { fileSystem } = this.io;
    const snapshots = sortedSnapshots(await fileSystem.readdir(this.directory));
    const excess = snapshots.slice(0, Math.max(0, snapshots.length - retained));
    for (const { fileName } of excess) await fileSystem.unlink(join(this.directory, fileName));
    if (excess.length > 0) await syncDirectory(this.directory, this.io);
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
