// The peer wire format and the reconnect backoff: pure functions, tested directly.

import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../src/codec/raft-codec.js';
import { nodeId } from '../../src/raft/index.js';
import { reconnectDelayMs } from '../../src/transport/reconnect-backoff.js';
import {
  decodeCallRequest,
  decodeFrame,
  decodeSnapshotPart,
  encodeCallRequest,
  encodeFrame,
  encodeSnapshotChunk,
  encodeSnapshotHeader,
  encodeSnapshotTrailer,
} from '../../src/transport/wire-format.js';
import { appendMessage, shapeOf, snapshotMessage } from './transport-helpers.js';

describe('peer wire format', () => {
  it('a frame carries many messages and the ack request, and decodes to copies that do not pin the frame', () => {
    const messages = Array.from({ length: 50 }, (_, index) => appendMessage(nodeId(1), nodeId(2), index, index * 10));
    const frame = encodeFrame({ messages: messages.map(encodeMessage), ackRequested: true });
    const decoded = decodeFrame(frame);
    expect(decoded.ackRequested).toBe(true);
    expect(decoded.bytes).toBe(frame.byteLength);
    expect(decoded.messages.map(shapeOf)).toEqual(messages.map(shapeOf));
    expect(decoded.messages[49]!.entries[0]!.data.buffer).not.toBe(frame.buffer);
  });

  it('refuses a frame of another wire version, naming it', () => {
    const frame = encodeFrame({ messages: [], ackRequested: false });
    frame[0] = 9;
    expect(() => decodeFrame(frame)).toThrow(/peer wire version 9 is not supported/);
  });

  it('refuses a frame with trailing bytes', () => {
    const frame = encodeFrame({ messages: [encodeMessage(appendMessage(nodeId(1), nodeId(2), 1))], ackRequested: false });
    expect(() => decodeFrame(Buffer.concat([frame, Buffer.from([0])]))).toThrow(/unexpected bytes/);
  });

  it('a call request keeps its method name and payload', () => {
    const request = { method: 'lease/keep-alive ✓', payload: new Uint8Array([0, 255, 7]) };
    const decoded = decodeCallRequest(encodeCallRequest(request));
    expect(decoded.method).toBe(request.method);
    expect(Array.from(decoded.payload)).toEqual([0, 255, 7]);
  });

  it('snapshot parts say what they are: header, chunk, trailer', () => {
    const message = snapshotMessage(nodeId(1), nodeId(2));
    const header = decodeSnapshotPart(encodeSnapshotHeader(message));
    expect(header.kind === 'header' && shapeOf(header.message)).toEqual(shapeOf(message));
    const chunk = decodeSnapshotPart(encodeSnapshotChunk(new Uint8Array([4, 5, 6])));
    expect(chunk.kind === 'chunk' && Array.from(chunk.data)).toEqual([4, 5, 6]);
    expect(decodeSnapshotPart(encodeSnapshotTrailer(3 * 1024 * 1024 * 1024))).toEqual({ kind: 'trailer', totalBytes: 3 * 1024 * 1024 * 1024 });
    expect(() => decodeSnapshotPart(Buffer.from([7]))).toThrow(/unknown snapshot part kind 7/);
  });
});

describe('reconnect backoff', () => {
  const backoff = { reconnectDelayInitialMs: 100, reconnectDelayMaxMs: 5_000 };

  it('doubles with each consecutive failure, between half and all of the exponential delay', () => {
    expect(reconnectDelayMs(backoff, 1, () => 0)).toBe(50);
    expect(reconnectDelayMs(backoff, 1, () => 0.999)).toBeCloseTo(99.95);
    expect(reconnectDelayMs(backoff, 3, () => 0)).toBe(200);
    expect(reconnectDelayMs(backoff, 3, () => 0.5)).toBe(300);
  });

  it('never exceeds the cap, however many failures', () => {
    expect(reconnectDelayMs(backoff, 10, () => 0.999)).toBeLessThanOrEqual(5_000);
    expect(reconnectDelayMs(backoff, 1_000, () => 0)).toBe(2_500);
  });
});
