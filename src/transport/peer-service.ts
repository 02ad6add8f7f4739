// The peer gRPC service, defined with grpc-js's generic API and the binary wire format (no
// protobuf): Messages (a bidirectional stream of frames, acks coming back), Snapshot (a
// client stream: the Raft message, data chunks, a trailer) and Call (unary, a named request).

import type { ServiceDefinition } from '@grpc/grpc-js';
import type { IncomingFrame, OutgoingFrame, SnapshotPart } from './wire-format.js';
import { decodeCallRequest, decodeFrame, decodeSnapshotPart, encodeCallRequest, encodeFrame } from './wire-format.js';

const identity = (bytes: Buffer): Buffer => bytes;

export const PEER_SERVICE_NAME = 'beavervault.peer.v1.Peer';

export const peerService = {
  messages: {
    path: `/${PEER_SERVICE_NAME}/Messages`,
    requestStream: true,
    responseStream: true,
    // The sender serializes outgoing frames (encoded messages); the receiver decodes them.
    requestSerialize: (frame: OutgoingFrame): Buffer => encodeFrame(frame),
    requestDeserialize: (bytes: Buffer): IncomingFrame => decodeFrame(bytes),
    responseSerialize: identity,
    responseDeserialize: identity,
  },
  snapshot: {
    path: `/${PEER_SERVICE_NAME}/Snapshot`,
    requestStream: true,
    responseStream: false,
    // The sender encodes each part itself (header, chunks, trailer); the receiver decodes.
    requestSerialize: identity,
    requestDeserialize: (bytes: Buffer): SnapshotPart => decodeSnapshotPart(bytes),
    responseSerialize: identity,
    responseDeserialize: identity,
  },
  call: {
    path: `/${PEER_SERVICE_NAME}/Call`,
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeCallRequest,
    requestDeserialize: decodeCallRequest,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
} satisfies ServiceDefinition;
