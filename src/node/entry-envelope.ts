// The bytes of a normal Raft entry: a small binary header saying what the entry carries and
// naming the member that proposed it and its request id, then the payload. Every member
// applies every entry; only the origin member has a caller waiting, found by the request id.
// Empty entry data stays the leader's no-op and has no envelope.

import { BinaryReader } from '../codec/binary-reader.js';
import { BinaryWriter } from '../codec/binary-writer.js';

/** The first byte: what the payload is. Values are stable; 1 was the only format before members published. */
export const EntryKind = {
  /** An MVCC request (src/mvcc/request-codec.ts), applied by the state machine. */
  MvccRequest: 1,
  /** A member's published name and client URLs (member-table.ts encoding), applied to the member table. */
  MemberAttributes: 2,
} as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

/** A request id no caller waits for (proposals the node makes on its own, such as lease revokes). */
export const UNTRACKED_REQUEST_ID = 0;

export interface EntryEnvelope {
  readonly kind: EntryKind;
  readonly originId: number;
  readonly requestId: number;
  /** A view into the entry's bytes. */
  readonly payload: Uint8Array;
}

const HEADER_BYTES_MAX = 1 + 8 + 8;

export function encodeEnvelope(originId: number, requestId: number, payload: Uint8Array, kind: EntryKind = EntryKind.MvccRequest): Uint8Array {
  const writer = new BinaryWriter(HEADER_BYTES_MAX);
  writer.byte(kind);
  writer.varint(originId);
  writer.varint(requestId);
  const header = writer.view();
  const bytes = new Uint8Array(header.byteLength + payload.byteLength);
  bytes.set(header, 0);
  bytes.set(payload, header.byteLength);
  return bytes;
}

/** Decodes the header; throws on bytes that are not an envelope (a programmer error). */
export function decodeEnvelope(data: Uint8Array): EntryEnvelope {
  const reader = new BinaryReader(data);
  const kind = reader.byte('entry kind');
  if (kind !== EntryKind.MvccRequest && kind !== EntryKind.MemberAttributes) throw new RangeError(`unknown entry kind ${kind}`);
  const originId = reader.varint('origin member id');
  const requestId = reader.varint('request id');
  return { kind, originId, requestId, payload: data.subarray(reader.position) };
}
