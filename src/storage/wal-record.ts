// The records of the write-ahead log and their on-disk framing. Every record is
//   body length u32 | type u8 | group id u64 | payload | crc32 u32
// (big-endian; the body is type + group id + payload; the CRC covers everything before it, the
// length included, so a damaged length is caught too). Payloads use the Raft codec, whose
// version byte lets a later build refuse a format it does not know. With encryption at rest
// the payload is sealed (src/encryption/record-cipher.ts): the frame, and so the CRC and the
// torn-tail rules, stay the same, and the GCM tag is checked after the CRC.

import { crc32 } from 'node:zlib';
import { BinaryReader } from '../codec/binary-reader.js';
import { BinaryWriter } from '../codec/binary-writer.js';
import { CodecError, CodecErrorCode } from '../codec/errors.js';
import { decodeEntries, decodeHardState, encodeEntries, encodeHardState } from '../codec/raft-codec.js';
import type { RecordCipher } from '../encryption/record-cipher.js';
import type { Entry, GroupId, HardState, LogIndex, Term } from '../raft/types.js';
import { logIndex, term } from '../raft/types.js';

export enum WalRecordType {
  /** Entries to append; a first index at or below the last index replaces the suffix from there. */
  Entries = 1,
  HardState = 2,
  /** The index and term of the snapshot the log starts after (its origin). */
  SnapshotMarker = 3,
}

export type WalRecord =
  | { readonly type: WalRecordType.Entries; readonly entries: readonly Entry[] }
  | { readonly type: WalRecordType.HardState; readonly hardState: HardState }
  | {
      readonly type: WalRecordType.SnapshotMarker;
      readonly index: LogIndex;
      readonly term: Term;
      /** True when a snapshot replaced the whole log (entries after it are gone too); false for compaction. */
      readonly replacesLog: boolean;
    };

const LENGTH_BYTES = 4;
const GROUP_ID_BYTES = 8;
const CHECKSUM_BYTES = 4;
/** Length, type and group id. */
export const FRAME_HEADER_BYTES = LENGTH_BYTES + 1 + GROUP_ID_BYTES;
export const FRAME_OVERHEAD_BYTES = FRAME_HEADER_BYTES + CHECKSUM_BYTES;
const UINT32_RANGE = 0x1_0000_0000;
const MARKER_VERSION = 1;

export function encodeWalRecord(record: WalRecord, group: GroupId, cipher: RecordCipher): Buffer {
  return frame(record.type, group, cipher.seal(encodePayload(record)));
}

function encodePayload(record: WalRecord): Uint8Array {
  switch (record.type) {
    case WalRecordType.Entries:
      return encodeEntries(record.entries);
    case WalRecordType.HardState:
      return encodeHardState(record.hardState);
    case WalRecordType.SnapshotMarker: {
      const writer = new BinaryWriter(24);
      writer.byte(MARKER_VERSION);
      writer.varint(record.index);
      writer.varint(record.term);
      writer.boolean(record.replacesLog);
      return writer.finish();
    }
  }
}

/**
 * Decodes a payload whose frame checked out; throws a CodecError if the payload is malformed,
 * an EncryptionError if it is sealed and its key is missing or its tag fails.
 */
export function decodeWalPayload(type: WalRecordType, sealedPayload: Uint8Array, cipher: RecordCipher, where: string): WalRecord {
  const payload = cipher.open(sealedPayload, where);
  switch (type) {
    case WalRecordType.Entries:
      return { type, entries: decodeEntries(payload) };
    case WalRecordType.HardState:
      return { type, hardState: decodeHardState(payload) };
    case WalRecordType.SnapshotMarker: {
      const reader = new BinaryReader(payload);
      const version = reader.byte('the snapshot marker version');
      if (version !== MARKER_VERSION) {
        throw new CodecError(CodecErrorCode.UnsupportedVersion, `snapshot marker format version ${version} is not supported`, 0);
      }
      const index = logIndex(reader.varint('the snapshot marker index'));
      const markerTerm = term(reader.varint('the snapshot marker term'));
      const replacesLog = reader.boolean('the snapshot marker mode');
      reader.expectEnd('the snapshot marker');
      return { type, index, term: markerTerm, replacesLog };
    }
  }
}

export function isWalRecordType(value: number): value is WalRecordType {
  return value === WalRecordType.Entries || value === WalRecordType.HardState || value === WalRecordType.SnapshotMarker;
}

function frame(type: WalRecordType, group: GroupId, payload: Uint8Array): Buffer {
  const bytes = Buffer.allocUnsafe(FRAME_OVERHEAD_BYTES + payload.byteLength);
  bytes.writeUInt32BE(1 + GROUP_ID_BYTES + payload.byteLength, 0);
  bytes.writeUInt8(type, LENGTH_BYTES);
  bytes.writeUInt32BE(Math.floor(group / UINT32_RANGE), LENGTH_BYTES + 1);
  bytes.writeUInt32BE(group % UINT32_RANGE, LENGTH_BYTES + 5);
  bytes.set(payload, FRAME_HEADER_BYTES);
  const checksumAt = FRAME_HEADER_BYTES + payload.byteLength;
  bytes.writeUInt32BE(crc32(bytes.subarray(0, checksumAt)), checksumAt);
  return bytes;
}

/** A frame read from a segment: either intact (its CRC matches) or why it is not. */
export type FrameRead =
  | { readonly intact: true; readonly type: number; readonly group: number; readonly payload: Buffer; readonly end: number }
  | { readonly intact: false; readonly reason: string };

/** Reads the frame at `offset`. Says why a frame is not intact rather than throwing. */
export function readFrame(segment: Buffer, offset: number): FrameRead {
  const remaining = segment.byteLength - offset;
  if (remaining < FRAME_OVERHEAD_BYTES) return { intact: false, reason: `only ${remaining} bytes remain, less than a record` };
  const bodyBytes = segment.readUInt32BE(offset);
  if (bodyBytes < 1 + GROUP_ID_BYTES) return { intact: false, reason: `record length ${bodyBytes} is too short` };
  const checksumAt = offset + LENGTH_BYTES + bodyBytes;
  if (checksumAt + CHECKSUM_BYTES > segment.byteLength) {
    return { intact: false, reason: `record length ${bodyBytes} runs past the end of the file` };
  }
  const expected = segment.readUInt32BE(checksumAt);
  const actual = crc32(segment.subarray(offset, checksumAt));
  if (expected !== actual) return { intact: false, reason: `CRC mismatch (stored ${expected}, computed ${actual})` };
  return {
    intact: true,
    type: segment.readUInt8(offset + LENGTH_BYTES),
    group: segment.readUInt32BE(offset + LENGTH_BYTES + 1) * UINT32_RANGE + segment.readUInt32BE(offset + LENGTH_BYTES + 5),
    payload: segment.subarray(offset + FRAME_HEADER_BYTES, checksumAt),
    end: checksumAt + CHECKSUM_BYTES,
  };
}
