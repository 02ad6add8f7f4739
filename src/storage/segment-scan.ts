// Reads the records of one WAL segment and decides what a damaged frame means. A crash can
// leave the last write half done, so damage at the tail of the newest segment, with nothing
// intact after it, is a torn write that was never acknowledged: it is cut away. Damage anywhere
// else covers data that was fsynced and acknowledged, so the store refuses to open.

import { CodecError } from '../codec/errors.js';
import { EncryptionError } from '../encryption/errors.js';
import type { RecordCipher } from '../encryption/record-cipher.js';
import type { GroupId } from '../raft/types.js';
import { StorageCorruptError } from './errors.js';
import type { WalRecord, WalRecordType } from './wal-record.js';
import { FRAME_OVERHEAD_BYTES, decodeWalPayload, isWalRecordType, readFrame } from './wal-record.js';

export interface ScannedRecord {
  readonly record: WalRecord;
  /** Byte offset of the record's frame in its segment, for error messages. */
  readonly offset: number;
}

export interface SegmentScan {
  readonly records: ScannedRecord[];
  /** Bytes of intact records from the start; the file is cut to this length if it is longer. */
  readonly intactBytes: number;
  /** Why the tail was cut, or null when the segment ends cleanly. */
  readonly tornTail: string | null;
}

export interface ScanOptions {
  /** The file's path, named in every error. */
  readonly file: string;
  readonly group: GroupId;
  /** Only the newest segment may end in a torn write. */
  readonly isLastSegment: boolean;
  /** Opens sealed payloads; plaintext ones (written before encryption was on) pass through. */
  readonly cipher: RecordCipher;
}

export function scanSegment(segment: Buffer, options: ScanOptions): SegmentScan {
  const records: ScannedRecord[] = [];
  let offset = 0;
  while (offset < segment.byteLength) {
    const frame = readFrame(segment, offset);
    if (!frame.intact) {
      return { records, intactBytes: offset, tornTail: tornTailReason(segment, offset, frame.reason, options) };
    }
    const { file, group } = options;
    if (!isWalRecordType(frame.type)) throw new StorageCorruptError(file, offset, `unknown record type ${frame.type}`);
    if (frame.group !== group) {
      throw new StorageCorruptError(file, offset, `record of Raft group ${frame.group} in the log of group ${group}`);
    }
    records.push({ record: decodePayload(frame.type, frame.payload, options, offset), offset });
    offset = frame.end;
  }
  return { records, intactBytes: offset, tornTail: null };
}

/** Accepts damage at `offset` as a torn tail (returning why), or throws: it covers acknowledged data. */
function tornTailReason(segment: Buffer, offset: number, reason: string, options: ScanOptions): string {
  if (!options.isLastSegment) throw new StorageCorruptError(options.file, offset, `${reason} in a segment that is not the newest`);
  const intactAfter = findIntactFrame(segment, offset + 1, options.group);
  if (intactAfter === null) return reason;
  throw new StorageCorruptError(options.file, offset, `${reason}, yet an intact record follows at offset ${intactAfter}`);
}

/**
 * A missing key stops the open with the key's id. A record whose CRC holds but whose GCM tag
 * fails is damage (or the wrong key) under acknowledged data, refused like any other record
 * that does not decode: its bytes are never decoded.
 */
function decodePayload(type: WalRecordType, payload: Buffer, options: ScanOptions, offset: number): WalRecord {
  const where = `the WAL segment ${options.file} at offset ${offset}`;
  try {
    return decodeWalPayload(type, payload, options.cipher, where);
  } catch (error) {
    if (error instanceof EncryptionError && error.code === 'ENCRYPTION_KEY_MISSING') throw error;
    if (!(error instanceof CodecError) && !(error instanceof EncryptionError)) throw error;
    throw new StorageCorruptError(options.file, offset, `a record with a valid CRC does not decode: ${error.message}`, { cause: error });
  }
}

/**
 * The offset of the first intact frame of this group at or after `from`, or null. A damaged
 * length field hides where the next record starts, so every offset is tried; the cheap checks
 * (type byte, group id, length within the file) rule out almost every offset before a CRC.
 */
function findIntactFrame(segment: Buffer, from: number, group: GroupId): number | null {
  for (let offset = from; offset + FRAME_OVERHEAD_BYTES <= segment.byteLength; offset++) {
    if (!isWalRecordType(segment[offset + 4]!)) continue;
    const frame = readFrame(segment, offset);
    if (frame.intact && frame.group === group) return offset;
  }
  return null;
}
