import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinaryWriter } from '../../src/codec/binary-writer.js';
import { CodecError, CodecErrorCode } from '../../src/codec/errors.js';
import {
  RAFT_CODEC_VERSION,
  decodeConfState,
  decodeEntries,
  decodeHardState,
  decodeMessage,
  decodeSnapshotMetadata,
  encodeConfState,
  encodeEntries,
  encodeHardState,
  encodeMessage,
  encodeSnapshotMetadata,
} from '../../src/codec/raft-codec.js';
import type { ConfState, Entry, Message } from '../../src/raft/index.js';
import { EntryType, MessageType, groupId, logIndex, message, nodeId, term } from '../../src/raft/index.js';

const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);

const JOINT_MEMBERS: ConfState = {
  voters: [nodeId(1), nodeId(2), nodeId(4)],
  learners: [nodeId(5)],
  votersOutgoing: [nodeId(1), nodeId(2), nodeId(3)],
  learnersNext: [nodeId(3)],
  autoLeave: true,
};

const ENTRIES: Entry[] = [
  { term: term(1), index: logIndex(1), type: EntryType.Normal, data: new Uint8Array(0) },
  { term: term(2), index: logIndex(2), type: EntryType.ConfChange, data: bytesOf('add node 4') },
  { term: term(Number.MAX_SAFE_INTEGER), index: logIndex(Number.MAX_SAFE_INTEGER), type: EntryType.Normal, data: bytesOf('x') },
];

/** A message with every field set to something other than its default. */
const FULL_MESSAGE: Message = message({
  type: MessageType.Snapshot,
  groupId: groupId(7),
  to: nodeId(2),
  from: nodeId(1),
  term: term(9),
  logTerm: term(8),
  index: logIndex(300),
  entries: ENTRIES,
  commit: logIndex(299),
  snapshot: { metadata: { index: logIndex(250), term: term(7), confState: JOINT_MEMBERS }, data: bytesOf('state at 250') },
  reject: true,
  rejectHint: logIndex(120),
  context: bytesOf('read request 17'),
});

function codecErrorOf(action: () => unknown): CodecError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    return error as CodecError;
  }
  throw new Error('expected a CodecError, but decoding succeeded');
}

describe('the Raft codec round-trips', () => {
  it('entries of both types, empty data and the largest safe index and term', () => {
    expect(decodeEntries(encodeEntries(ENTRIES))).toEqual(ENTRIES);
    expect(decodeEntries(encodeEntries([]))).toEqual([]);
  });

  it('hard state, membership in a joint configuration and snapshot metadata', () => {
    const hardState = { term: term(12), vote: nodeId(3), commit: logIndex(4096) };
    expect(decodeHardState(encodeHardState(hardState))).toEqual(hardState);
    expect(decodeConfState(encodeConfState(JOINT_MEMBERS))).toEqual(JOINT_MEMBERS);
    const metadata = { index: logIndex(99), term: term(4), confState: JOINT_MEMBERS };
    expect(decodeSnapshotMetadata(encodeSnapshotMetadata(metadata))).toEqual(metadata);
  });

  it('a message with every field set, including group id, entries, snapshot and context', () => {
    expect(decodeMessage(encodeMessage(FULL_MESSAGE))).toEqual(FULL_MESSAGE);
  });

  it('a heartbeat without snapshot or entries', () => {
    const heartbeat = message({ type: MessageType.Heartbeat, to: nodeId(3), from: nodeId(1), term: term(2), commit: logIndex(5) });
    expect(decodeMessage(encodeMessage(heartbeat))).toEqual(heartbeat);
  });

  it('any message (property)', () => {
    const safe = fc.nat({ max: Number.MAX_SAFE_INTEGER });
    const ids = fc.array(safe.map(nodeId), { maxLength: 4 });
    const data = fc.uint8Array({ maxLength: 40 });
    const entryArbitrary = fc.record({
      term: safe.map(term),
      index: safe.map(logIndex),
      type: fc.constantFrom(EntryType.Normal, EntryType.ConfChange),
      data,
    });
    const confState = fc.record({ voters: ids, learners: ids, votersOutgoing: ids, learnersNext: ids, autoLeave: fc.boolean() });
    const snapshot = fc.option(
      fc.record({ metadata: fc.record({ index: safe.map(logIndex), term: safe.map(term), confState }), data }),
      { nil: null },
    );
    const messageArbitrary = fc.record({
      type: fc.integer({ min: 0, max: MessageType.ReadIndexResponse }).map((t) => t as MessageType),
      groupId: safe.map(groupId),
      to: safe.map(nodeId),
      from: safe.map(nodeId),
      term: safe.map(term),
      logTerm: safe.map(term),
      index: safe.map(logIndex),
      entries: fc.array(entryArbitrary, { maxLength: 5 }),
      commit: safe.map(logIndex),
      snapshot,
      reject: fc.boolean(),
      rejectHint: safe.map(logIndex),
      context: data,
    });
    fc.assert(
      fc.property(messageArbitrary, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
      }),
    );
  });
});

describe('the Raft codec is compact', () => {
  it('spends 5 bytes besides the data on an entry with small term and index', () => {
    const small: Entry = { term: term(3), index: logIndex(100), type: EntryType.Normal, data: new Uint8Array(256) };
    // version + count + (term 1, index 1, type 1, length 2) + 256 bytes of data
    expect(encodeEntries([small]).byteLength).toBe(1 + 1 + 5 + 256);
  });
});

describe('the Raft codec refuses malformed input with a CodecError', () => {
  it('reports every truncation of a message as Truncated, naming the offset', () => {
    const bytes = encodeMessage(FULL_MESSAGE);
    for (let length = 0; length < bytes.byteLength; length++) {
      const error = codecErrorOf(() => decodeMessage(bytes.subarray(0, length)));
      expect(error.code, `prefix of ${length} bytes`).toBe(CodecErrorCode.Truncated);
      expect(error.message).toMatch(/truncated input: .* at offset \d+/);
    }
  });

  it('reports a truncated entry batch and hard state as Truncated', () => {
    const entries = encodeEntries(ENTRIES);
    expect(codecErrorOf(() => decodeEntries(entries.subarray(0, entries.byteLength - 1))).code).toBe(CodecErrorCode.Truncated);
    const hardState = encodeHardState({ term: term(300), vote: nodeId(1), commit: logIndex(2) });
    expect(codecErrorOf(() => decodeHardState(hardState.subarray(0, 2))).code).toBe(CodecErrorCode.Truncated);
  });

  it('refuses a version it does not know, and says which version it reads', () => {
    const bytes = encodeHardState({ term: term(1), vote: nodeId(1), commit: logIndex(1) });
    bytes[0] = RAFT_CODEC_VERSION + 1;
    const error = codecErrorOf(() => decodeHardState(bytes));
    expect(error.code).toBe(CodecErrorCode.UnsupportedVersion);
    expect(error.message).toContain(`format version ${RAFT_CODEC_VERSION + 1} is not supported`);
  });

  it('refuses an unknown message type and an unknown entry type', () => {
    const heartbeat = encodeMessage(message({ type: MessageType.Heartbeat }));
    heartbeat[1] = 200;
    expect(codecErrorOf(() => decodeMessage(heartbeat)).message).toContain('unknown message type 200');
    const entries = encodeEntries([ENTRIES[0]!]);
    entries[4] = 9; // version, count, term, index, then the type byte
    const error = codecErrorOf(() => decodeEntries(entries));
    expect(error.code).toBe(CodecErrorCode.Malformed);
    expect(error.message).toContain('unknown type 9');
  });

  it('refuses trailing bytes, an out-of-range boolean and a varint beyond the safe range', () => {
    const hardState = encodeHardState({ term: term(1), vote: nodeId(1), commit: logIndex(1) });
    const padded = new Uint8Array([...hardState, 0]);
    expect(codecErrorOf(() => decodeHardState(padded)).message).toContain('1 unexpected bytes after hard state');
    const confState = encodeConfState(JOINT_MEMBERS);
    confState[confState.byteLength - 1] = 2;
    expect(codecErrorOf(() => decodeConfState(confState)).message).toContain('auto leave is 2');
    const huge = new Uint8Array([RAFT_CODEC_VERSION, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0]);
    expect(codecErrorOf(() => decodeHardState(huge)).message).toContain('hard state term exceeds the safe integer range');
  });
});

describe('decoded bytes', () => {
  it('are copies, so a decoded entry never pins or aliases the buffer it came from', () => {
    const entry = { term: term(3), index: logIndex(7), type: EntryType.Normal, data: new Uint8Array([1, 2, 3]) };
    const input = Buffer.from(encodeEntries([entry]));
    const [decoded] = decodeEntries(input);
    if (decoded === undefined) throw new Error('no entry decoded');
    input.fill(0);
    expect([...decoded.data]).toEqual([1, 2, 3]);
    expect(decoded.data.buffer).not.toBe(input.buffer);
  });
});

describe('BinaryWriter.finish', () => {
  // 48 of 64 bytes is three quarters: a close estimate costs no copy. One byte fewer, and an
  // overestimate's spare room is not kept alive by the result.
  it.each([
    { written: 48, backing: 64, as: 'a view of the buffer' },
    { written: 47, backing: 47, as: 'a trimmed copy' },
  ])('returns $as when $written of 64 bytes are written', ({ written, backing }) => {
    const writer = new BinaryWriter(64);
    for (let i = 0; i < written; i++) writer.byte(i);
    const bytes = writer.finish();
    expect([...bytes]).toEqual(Array.from({ length: written }, (_, i) => i));
    expect(bytes.buffer.byteLength).toBe(backing);
  });
});
