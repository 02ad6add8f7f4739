import { describe, expect, it } from 'vitest';
import { limitBytes } from '../../../src/raft/entry-bytes.js';
import { ReadOnly } from '../../../src/raft/read-only.js';
import type { Message } from '../../../src/raft/types.js';
import { EntryType, MessageType, logIndex, message, nodeId, term } from '../../../src/raft/types.js';

function readRequest(context: number, from = 0): Message {
  const entries = [{ term: term(0), index: logIndex(0), type: EntryType.Normal, data: new Uint8Array([context]) }];
  return message({ type: MessageType.ReadIndex, from: nodeId(from), entries });
}

describe('ReadIndex bookkeeping', () => {
  it('collects acknowledgements per request context', () => {
    const readOnly = new ReadOnly();
    readOnly.addRequest(logIndex(5), readRequest(1));
    expect([...readOnly.recordAcknowledgement(nodeId(1), new Uint8Array([1]))!]).toEqual([1]);
    expect([...readOnly.recordAcknowledgement(nodeId(2), new Uint8Array([1]))!]).toEqual([1, 2]);
    expect(readOnly.recordAcknowledgement(nodeId(2), new Uint8Array([9]))).toBeUndefined();
  });

  it('a confirmed request releases every request queued before it, in order', () => {
    const readOnly = new ReadOnly();
    readOnly.addRequest(logIndex(5), readRequest(1));
    readOnly.addRequest(logIndex(6), readRequest(2, 3));
    readOnly.addRequest(logIndex(7), readRequest(3));
    expect(readOnly.lastPendingContext()).toEqual(new Uint8Array([3]));
    const released = readOnly.advance(new Uint8Array([2]));
    expect(released.map((status) => status.index)).toEqual([5, 6]);
    expect(released[1]!.request.from).toBe(3);
    expect(readOnly.advance(new Uint8Array([2]))).toEqual([]);
    expect(readOnly.advance(new Uint8Array([3])).map((status) => status.index)).toEqual([7]);
    expect(readOnly.lastPendingContext()).toEqual(new Uint8Array());
  });

  it('a request whose context is already pending is not added twice', () => {
    const readOnly = new ReadOnly();
    readOnly.addRequest(logIndex(5), readRequest(1));
    readOnly.addRequest(logIndex(8), readRequest(1));
    expect(readOnly.advance(new Uint8Array([1])).map((status) => status.index)).toEqual([5]);
  });
});

describe('byte limits', () => {
  const sized = (...sizes: number[]) => sizes.map((size) => ({ data: new Uint8Array(size) }));

  it('keeps the longest prefix within the limit, and always the first entry', () => {
    expect(limitBytes(sized(4, 4, 4), 8)).toHaveLength(2);
    expect(limitBytes(sized(4, 4, 4), 100)).toHaveLength(3);
    expect(limitBytes(sized(50, 1), 10)).toHaveLength(1);
    expect(limitBytes(sized(), 10)).toHaveLength(0);
  });
});
