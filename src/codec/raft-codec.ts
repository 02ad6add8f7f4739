// The binary encoding of the Raft core's data: entries, hard state, membership, snapshot
// metadata and messages. The WAL stores entries and hard state with it; the peer transport
// sends messages with it. Every top-level value starts with a format version byte so either
// side can refuse bytes from a newer build instead of misreading them.
//
// Layout (all integers unsigned LEB128 varints, byte strings length-prefixed):
//   entry          term, index, type u8, data
//   hard state     term, vote, commit
//   conf state     voters, learners, votersOutgoing, learnersNext (count + ids), autoLeave u8
//   snapshot meta  index, term, conf state
//   message        type u8, groupId, to, from, term, logTerm, index, entry count + entries,
//                  commit, snapshot flag u8 [+ snapshot meta + data], reject u8, rejectHint, context

import type { ConfState, Entry, HardState, Message, NodeId, Snapshot, SnapshotMetadata } from '../raft/types.js';
import { EntryType, MessageType, groupId, logIndex, nodeId, term } from '../raft/types.js';
import { BinaryReader, malformed } from './binary-reader.js';
import { BinaryWriter } from './binary-writer.js';
import { CodecError, CodecErrorCode } from './errors.js';

export const RAFT_CODEC_VERSION = 1;

/** Fixed bytes per entry besides its data, at most: term and index varints, type, length. */
const ENTRY_OVERHEAD_BYTES_MAX = 8 + 8 + 1 + 8;
const MESSAGE_TYPE_MAX = MessageType.ReadIndexResponse;

export function encodeEntries(entries: readonly Entry[]): Uint8Array {
  let estimate = 1 + 8;
  for (const entry of entries) estimate += ENTRY_OVERHEAD_BYTES_MAX + entry.data.byteLength;
  const writer = versionedWriter(estimate);
  writeEntries(writer, entries);
  return writer.finish();
}

export function decodeEntries(bytes: Uint8Array): Entry[] {
  return decodeVersioned(bytes, 'entries', readEntries);
}

export function encodeHardState(hardState: HardState): Uint8Array {
  const writer = versionedWriter(32);
  writer.varint(hardState.term);
  writer.varint(hardState.vote);
  writer.varint(hardState.commit);
  return writer.finish();
}

export function decodeHardState(bytes: Uint8Array): HardState {
  return decodeVersioned(bytes, 'hard state', (reader) => ({
    term: term(reader.varint('hard state term')),
    vote: nodeId(reader.varint('hard state vote')),
    commit: logIndex(reader.varint('hard state commit')),
  }));
}

export function encodeConfState(confState: ConfState): Uint8Array {
  const writer = versionedWriter(64);
  writeConfState(writer, confState);
  return writer.finish();
}

export function decodeConfState(bytes: Uint8Array): ConfState {
  return decodeVersioned(bytes, 'conf state', readConfState);
}

export function encodeSnapshotMetadata(metadata: SnapshotMetadata): Uint8Array {
  const writer = versionedWriter(64);
  writeSnapshotMetadata(writer, metadata);
  return writer.finish();
}

export function decodeSnapshotMetadata(bytes: Uint8Array): SnapshotMetadata {
  return decodeVersioned(bytes, 'snapshot metadata', readSnapshotMetadata);
}

export function encodeMessage(message: Message): Uint8Array {
  let estimate = 128 + message.context.byteLength + (message.snapshot?.data.byteLength ?? 0);
  for (const entry of message.entries) estimate += ENTRY_OVERHEAD_BYTES_MAX + entry.data.byteLength;
  const writer = versionedWriter(estimate);
  writer.byte(message.type);
  for (const value of [message.groupId, message.to, message.from, message.term, message.logTerm, message.index]) {
    writer.varint(value);
  }
  writeEntries(writer, message.entries);
  writer.varint(message.commit);
  writeSnapshot(writer, message.snapshot);
  writer.boolean(message.reject);
  writer.varint(message.rejectHint);
  writer.bytes(message.context);
  return writer.finish();
}

export function decodeMessage(bytes: Uint8Array): Message {
  return decodeVersioned(bytes, 'message', (reader) => {
    const typeOffset = reader.position;
    const type = reader.byte('message type');
    if (type > MESSAGE_TYPE_MAX) throw malformed(`unknown message type ${type}`, typeOffset);
    return {
      type: type as MessageType,
      groupId: groupId(reader.varint('group id')),
      to: nodeId(reader.varint('to')),
      from: nodeId(reader.varint('from')),
      term: term(reader.varint('term')),
      logTerm: term(reader.varint('log term')),
      index: logIndex(reader.varint('index')),
      entries: readEntries(reader),
      commit: logIndex(reader.varint('commit')),
      snapshot: readSnapshot(reader),
      reject: reader.boolean('reject'),
      rejectHint: logIndex(reader.varint('reject hint')),
      context: reader.bytes('context'),
    };
  });
}

function versionedWriter(estimateBytes: number): BinaryWriter {
  const writer = new BinaryWriter(estimateBytes);
  writer.byte(RAFT_CODEC_VERSION);
  return writer;
}

/** Checks the version byte, decodes the body and insists that nothing follows it. */
function decodeVersioned<T>(bytes: Uint8Array, what: string, readBody: (reader: BinaryReader) => T): T {
  const reader = new BinaryReader(bytes);
  const version = reader.byte(`the version of ${what}`);
  if (version !== RAFT_CODEC_VERSION) {
    throw new CodecError(
      CodecErrorCode.UnsupportedVersion,
      `cannot decode ${what}: format version ${version} is not supported (this build reads version ${RAFT_CODEC_VERSION})`,
      0,
    );
  }
  const value = readBody(reader);
  reader.expectEnd(what);
  return value;
}

function writeEntries(writer: BinaryWriter, entries: readonly Entry[]): void {
  writer.varint(entries.length);
  for (const entry of entries) {
    writer.varint(entry.term);
    writer.varint(entry.index);
    writer.byte(entry.type);
    writer.bytes(entry.data);
  }
}

function readEntries(reader: BinaryReader): Entry[] {
  const count = reader.varint('entry count');
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const entryTerm = term(reader.varint(`the term of entry ${i}`));
    const index = logIndex(reader.varint(`the index of entry ${i}`));
    const typeOffset = reader.position;
    const type = reader.byte(`the type of entry ${i}`);
    if (type !== EntryType.Normal && type !== EntryType.ConfChange) {
      throw malformed(`entry ${i} has unknown type ${type}`, typeOffset);
    }
    entries.push({ term: entryTerm, index, type, data: reader.bytes(`the data of entry ${i}`) });
  }
  return entries;
}

function writeNodeIds(writer: BinaryWriter, ids: readonly NodeId[]): void {
  writer.varint(ids.length);
  for (const id of ids) writer.varint(id);
}

function readNodeIds(reader: BinaryReader, field: string): NodeId[] {
  const count = reader.varint(`the count of ${field}`);
  const ids: NodeId[] = [];
  for (let i = 0; i < count; i++) ids.push(nodeId(reader.varint(field)));
  return ids;
}

function writeConfState(writer: BinaryWriter, confState: ConfState): void {
  writeNodeIds(writer, confState.voters);
  writeNodeIds(writer, confState.learners);
  writeNodeIds(writer, confState.votersOutgoing);
  writeNodeIds(writer, confState.learnersNext);
  writer.boolean(confState.autoLeave);
}

function readConfState(reader: BinaryReader): ConfState {
  return {
    voters: readNodeIds(reader, 'voters'),
    learners: readNodeIds(reader, 'learners'),
    votersOutgoing: readNodeIds(reader, 'outgoing voters'),
    learnersNext: readNodeIds(reader, 'next learners'),
    autoLeave: reader.boolean('auto leave'),
  };
}

function writeSnapshotMetadata(writer: BinaryWriter, metadata: SnapshotMetadata): void {
  writer.varint(metadata.index);
  writer.varint(metadata.term);
  writeConfState(writer, metadata.confState);
}

function readSnapshotMetadata(reader: BinaryReader): SnapshotMetadata {
  return {
    index: logIndex(reader.varint('snapshot index')),
    term: term(reader.varint('snapshot term')),
    confState: readConfState(reader),
  };
}

function writeSnapshot(writer: BinaryWriter, snapshot: Snapshot | null): void {
  writer.boolean(snapshot !== null);
  if (snapshot === null) return;
  writeSnapshotMetadata(writer, snapshot.metadata);
  writer.bytes(snapshot.data);
}

function readSnapshot(reader: BinaryReader): Snapshot | null {
  if (!reader.boolean('snapshot flag')) return null;
  return { metadata: readSnapshotMetadata(reader), data: reader.bytes('snapshot data') };
}
