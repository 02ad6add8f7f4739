// The bytes of a normal Raft entry: a small binary header naming the member that proposed it
// and its request id, then the MVCC request (src/mvcc/request-codec.ts). Every member applies
// every entry; only the origin member has a caller waiting, found by the request id.
// Empty entry data stays the leader's no-op and has no envelope.

import { BinaryReader } from '../codec/binary-reader.js';
import { BinaryWriter } from '../codec/binary-writer.js';

export const ENVELOPE_FORMAT_VERSION = 1;
/** A request id no caller waits for (proposals the node makes on its own, such as lease revokes). */
export const UNTRACKED_REQUEST_ID = 0;

export interface EntryEnvelope {
  readonly originId: number;
  readonly requestId: number;
  /** The encoded MVCC request; a view into the entry's bytes. */
  readonly request: Uint8Array;
}

const HEADER_BYTES_MAX = 1 + 8 + 8;

export function encodeEnvelope(originId: number, requestId: number, request: Uint8Array): Uint8Array {
  const writer = new BinaryWriter(HEADER_BYTES_MAX + request.byteLength);
  writer.byte(ENVELOPE_FORMAT_VERSION);
  writer.varint(originId);
  writer.varint(requestId);
  const header = writer.view();
  const bytes = new Uint8Array(header.byteLength + request.byteLength);
  bytes.set(header, 0);
  bytes.set(request, header.byteLength);
  return bytes;
}

/** Decodes the header; throws CodecError on bytes that are not an envelope (a programmer error). */
export function decodeEnvelope(data: Uint8Array): EntryEnvelope {
  const reader = new BinaryReader(data);
  const version = reader.byte('envelope format version');
  if (version !== ENVELOPE_FORMAT_VERSION) throw new RangeError(`unknown entry envelope format ${version}`);
  const originId = reader.varint('origin member id');
  const requestId = reader.varint('request id');
  return { originId, requestId, request: data.subarray(reader.position) };
}
