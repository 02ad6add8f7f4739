// The bytes of a normal Raft entry: a small binary header saying what the entry carries and
// naming the member that proposed it and its request id, then the payload. Every member
// applies every entry; only the origin member has a caller waiting, found by the request id.
// Empty entry data stays the leader's no-op and has no envelope. A write traced while tracing
// is on carries its span context too (the kind byte's TRACED bit), so that the leader's work
// on a write a follower forwarded joins the follower's trace; a member older than this format
// refuses such an entry, so tracing is turned on once every member runs this version.

import { BinaryReader } from '../codec/binary-reader.js';
import { BinaryWriter } from '../codec/binary-writer.js';
import { TRACE_CONTEXT_BYTES } from '../observability/spans.js';

/** The first byte: what the payload is. Values are stable; 1 was the only format before members published. */
export const EntryKind = {
  /** An MVCC request (src/mvcc/request-codec.ts), applied by the state machine. */
  MvccRequest: 1,
  /** A member's published name and client URLs (member-table.ts encoding), applied to the member table. */
  MemberAttributes: 2,
  /** A member's new peer address (etcd's MemberUpdate; member-table.ts encoding), applied to the member table. */
  MemberPeerAddress: 3,
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

  /** The span context of a traced write (src/observability/spans.ts encoding). */
  readonly traceContext?: Uint8Array;
}

/** Set in the kind byte when a trace context follows the request id. */
const TRACED = 0x80;
const HEADER_BYTES_MAX = 1 + 8 + 8 + 1 + TRACE_CONTEXT_BYTES;

export function encodeEnvelope(originId: number, requestId: number, payload: Uint8Array, kind: EntryKind = EntryKind.MvccRequest, traceContext?: Uint8Array): Uint8Array {
  const writer = new BinaryWriter(HEADER_BYTES_MAX);
  writer.byte(traceContext === undefined ? kind : kind | TRACED);
  writer.varint(originId);
  writer.varint(requestId);
  if (traceContext !== undefined) writer.bytes(traceContext);
  const header = writer.view();
  const bytes = new Uint8Array(header.byteLength + payload.byteLength);
  bytes.set(header, 0);
  bytes.set(payload, header.byteLength);
  return bytes;
}

/** Decodes the header; throws on bytes that are not an envelope (a programmer error). */
export function decodeEnvelope(data: Uint8Array): EntryEnvelope {
  const reader = new BinaryReader(data);
  const first = reader.byte('entry kind');
  const kind = first & ~TRACED;
  if (kind !== EntryKind.MvccRequest && kind !== EntryKind.MemberAttributes && kind !== EntryKind.MemberPeerAddress) throw new RangeError(`unknown entry kind ${first}`);
  const originId = reader.varint('origin member id');
  const requestId = reader.varint('request id');
  if ((first & TRACED) === 0) return { kind, originId, requestId, payload: data.subarray(reader.position) };
  const traceContext = reader.bytes('trace context');
  return { kind, originId, requestId, payload: data.subarray(reader.position), traceContext };
}

/** Whether the entry's data is an envelope with a trace context, without decoding it. */
export function isTracedEnvelope(data: Uint8Array): boolean {
  return data.byteLength > 0 && (data[0]! & TRACED) !== 0;
}
