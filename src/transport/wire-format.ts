// The bytes on the peer gRPC service. Raft messages are encoded with the Raft codec; a frame
// carries many of them so one HTTP/2 message (and one wakeup of the receiver) serves a whole
// batch. Every frame starts with a format version byte, as the codec's values do.
//
//   messages frame  version u8, flags u8 (bit 0: acknowledge this frame), count, count x message
//   ack             empty: sent back only for frames that asked, to time the round trip
//   call request    version u8, method (utf-8 bytes), payload
//   snapshot        a stream of parts, each led by a kind byte: first the header (version u8,
//                   encoded Raft message), then data chunks, then a trailer (total data bytes).
//                   Without the trailer a stream is truncated: a sender that failed midway can
//                   look like a clean end of stream to the receiver.
//
// Integers are unsigned LEB128 varints and byte strings length-prefixed (src/codec).

import { BinaryReader } from '../codec/binary-reader.js';
import { BinaryWriter } from '../codec/binary-writer.js';
import { CodecError, CodecErrorCode } from '../codec/errors.js';
import { decodeMessage, encodeMessage } from '../codec/raft-codec.js';
import type { Message } from '../raft/types.js';

export const PEER_WIRE_VERSION = 1;
const ACK_REQUESTED_FLAG = 1;
/** Version, flags and a count varint, at most. */
const FRAME_HEADER_BYTES_MAX = 1 + 1 + 8;
/** A length varint per message, at most. */
const LENGTH_PREFIX_BYTES_MAX = 8;

/** gRPC metadata every peer stream and call carries, so two clusters never mix. */
export const CLUSTER_ID_METADATA_KEY = 'bvault-cluster-id';
export const MEMBER_ID_METADATA_KEY = 'bvault-member-id';

export interface OutgoingFrame {
  /** Raft messages already encoded with encodeMessage. */
  readonly messages: readonly Uint8Array[];
  readonly ackRequested: boolean;
}

export interface IncomingFrame {
  readonly messages: readonly Message[];
  readonly ackRequested: boolean;
  readonly bytes: number;
}

export interface CallRequest {
  readonly method: string;
  readonly payload: Uint8Array;
}

export const EMPTY_BUFFER = Buffer.alloc(0);

/** The bytes a frame of these encoded messages takes, at most. */
export function frameBytesOf(encodedBytes: number, messageCount: number): number {
  return FRAME_HEADER_BYTES_MAX + encodedBytes + messageCount * LENGTH_PREFIX_BYTES_MAX;
}

export function encodeFrame(frame: OutgoingFrame): Buffer {
  let encodedBytes = 0;
  for (const message of frame.messages) encodedBytes += message.byteLength;
  const writer = new BinaryWriter(frameBytesOf(encodedBytes, frame.messages.length));
  writer.byte(PEER_WIRE_VERSION);
  writer.byte(frame.ackRequested ? ACK_REQUESTED_FLAG : 0);
  writer.varint(frame.messages.length);
  for (const message of frame.messages) writer.bytes(message);
  return asBuffer(writer.view());
}

export function decodeFrame(bytes: Buffer): IncomingFrame {
  const reader = versionedReader(bytes, 'messages frame');
  const ackRequested = (reader.byte('frame flags') & ACK_REQUESTED_FLAG) !== 0;
  const count = reader.varint('message count');
  const messages: Message[] = [];
  for (let i = 0; i < count; i++) messages.push(decodeMessage(reader.bytes(`message ${i} of the frame`)));
  reader.expectEnd('messages frame');
  return { messages, ackRequested, bytes: bytes.byteLength };
}

export function encodeCallRequest(request: CallRequest): Buffer {
  const method = new TextEncoder().encode(request.method);
  const writer = new BinaryWriter(1 + 2 * LENGTH_PREFIX_BYTES_MAX + method.byteLength + request.payload.byteLength);
  writer.byte(PEER_WIRE_VERSION);
  writer.bytes(method);
  writer.bytes(request.payload);
  return asBuffer(writer.view());
}

export function decodeCallRequest(bytes: Buffer): CallRequest {
  const reader = versionedReader(bytes, 'call request');
  const method = new TextDecoder().decode(reader.bytes('call method'));
  const payload = reader.bytes('call payload');
  reader.expectEnd('call request');
  return { method, payload };
}

const SnapshotPartKind = { Header: 0, Chunk: 1, Trailer: 2 } as const;

export type SnapshotPart =
  | { readonly kind: 'header'; readonly message: Message }
  | { readonly kind: 'chunk'; readonly data: Uint8Array }
  | { readonly kind: 'trailer'; readonly totalBytes: number };

export function encodeSnapshotHeader(message: Message): Buffer {
  const encoded = encodeMessage(message);
  const part = Buffer.allocUnsafe(2 + encoded.byteLength);
  part[0] = SnapshotPartKind.Header;
  part[1] = PEER_WIRE_VERSION;
  part.set(encoded, 2);
  return part;
}

/** Copies the chunk behind its kind byte: grpc-js sends one buffer per stream message. */
export function encodeSnapshotChunk(chunk: Uint8Array): Buffer {
  const part = Buffer.allocUnsafe(1 + chunk.byteLength);
  part[0] = SnapshotPartKind.Chunk;
  part.set(chunk, 1);
  return part;
}

export function encodeSnapshotTrailer(totalBytes: number): Buffer {
  const writer = new BinaryWriter(1 + LENGTH_PREFIX_BYTES_MAX);
  writer.byte(SnapshotPartKind.Trailer);
  writer.varint(totalBytes);
  return asBuffer(writer.view());
}

export function decodeSnapshotPart(bytes: Buffer): SnapshotPart {
  const plain: Uint8Array = bytes;
  const kind = plain[0];
  if (kind === SnapshotPartKind.Chunk) return { kind: 'chunk', data: plain.subarray(1) };
  if (kind === SnapshotPartKind.Header) {
    versionedReader(plain.subarray(1), 'snapshot header');
    return { kind: 'header', message: decodeMessage(plain.subarray(2)) };
  }
  if (kind === SnapshotPartKind.Trailer) {
    const reader = new BinaryReader(plain.subarray(1));
    const totalBytes = reader.varint('snapshot total bytes');
    reader.expectEnd('snapshot trailer');
    return { kind: 'trailer', totalBytes };
  }
  throw new CodecError(CodecErrorCode.Malformed, `unknown snapshot part kind ${String(kind)}`, 0);
}

/** A Buffer over the same memory, as grpc-js wants; no copy. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function versionedReader(bytes: Uint8Array, what: string): BinaryReader {
  const reader = new BinaryReader(bytes);
  const version = reader.byte(`the version of the ${what}`);
  if (version !== PEER_WIRE_VERSION) {
    throw new CodecError(
      CodecErrorCode.UnsupportedVersion,
      `cannot decode ${what}: peer wire version ${version} is not supported (this build reads version ${PEER_WIRE_VERSION})`,
      0,
    );
  }
  return reader;
}
