// The binary encoding of requests carried in Raft entries. A leading format byte lets later
// releases change the layout; every field is a varint, a flag byte or a length-prefixed byte
// string, in a fixed order per request type. Malformed bytes become MVCC_MALFORMED_REQUEST
// naming the field and offset, never an exception that could stop apply.
import { readAuthRequest, writeAuthRequest } from '../auth/auth-codec.js';
import { ByteReader, ByteWriter } from './byte-codec.js';
import { MvccError } from './errors.js';
import type {
  AlarmAction,
  AlarmType,
  Compare,
  CompareResult,
  DeleteRangeRequest,
  MvccRequest,
  PutRequest,
  RangeRequest,
  RequestEnvelope,
  RequestOp,
  SortOrder,
  SortTarget,
  TxnRequest,
} from './requests.js';

export const REQUEST_FORMAT_VERSION = 1;
/** Format 1 plus the caller (user and auth revision) after the timestamp; format 1 entries stay readable. */
export const REQUEST_WITH_CALLER_FORMAT_VERSION = 2;

const REQUEST_TYPES = ['range', 'put', 'deleteRange', 'txn', 'compaction', 'leaseGrant', 'leaseRevoke', 'leaseCheckpoint', 'alarm', 'restoreBegin', 'restoreChunk', 'restoreCommit', 'auth'] as const;
const COMPARE_TARGETS = ['version', 'create', 'mod', 'value', 'lease'] as const;
const EMPTY = new Uint8Array(0);
/** Deeper nesting than this is refused before it can exhaust the stack. */
const TXN_DEPTH_MAX = 64;

export function encodeRequest(envelope: RequestEnvelope): Buffer {
  const writer = new ByteWriter(256);
  writer.byte(envelope.caller === undefined ? REQUEST_FORMAT_VERSION : REQUEST_WITH_CALLER_FORMAT_VERSION);
  writer.uint(envelope.timestampMs);
  if (envelope.caller !== undefined) {
    writer.string(envelope.caller.user);
    writer.uint(envelope.caller.authRevision);
  }
  writeRequest(writer, envelope.request);
  return writer.finish();
}

export function decodeRequest(bytes: Uint8Array): RequestEnvelope {
  const reader = new ByteReader(bytes);
  try {
    const version = reader.byte('format version');
    if (version !== REQUEST_FORMAT_VERSION && version !== REQUEST_WITH_CALLER_FORMAT_VERSION) throw new RangeError(`unknown format version ${version}`);
    const timestampMs = reader.uint('timestampMs');
    const caller = version === REQUEST_WITH_CALLER_FORMAT_VERSION ? { user: reader.string('caller user'), authRevision: reader.uint('caller auth revision') } : undefined;
    const request = readRequest(reader);
    reader.expectEnd('the request');
    return caller === undefined ? { timestampMs, request } : { timestampMs, request, caller };
  } catch (error) {
    if (error instanceof RangeError) throw new MvccError('MVCC_MALFORMED_REQUEST', { reason: error.message });
    throw error;
  }
}

function writeRequest(writer: ByteWriter, request: MvccRequest): void {
  writer.byte(REQUEST_TYPES.indexOf(request.type));
  switch (request.type) {
    case 'range':
      return writeRange(writer, request.range);
    case 'put':
      return writePut(writer, request.put);
    case 'deleteRange':
      return writeDeleteRange(writer, request.deleteRange);
    case 'txn':
      return writeTxn(writer, request.txn);
    case 'compaction':
      return writer.uint(request.compaction.revision);
    case 'leaseGrant':
      writer.int(request.leaseGrant.ttl);
      return writer.uint(request.leaseGrant.id ?? 0);
    case 'leaseRevoke':
      return writer.uint(request.leaseRevoke.id);
    case 'leaseCheckpoint':
      writer.uint(request.leaseCheckpoint.checkpoints.length);
      for (const checkpoint of request.leaseCheckpoint.checkpoints) {
        writer.uint(checkpoint.id);
        writer.uint(checkpoint.remainingTtl);
      }
      return;
    case 'alarm':
      writer.byte(request.alarm.action);
      writer.uint(request.alarm.memberId);
      return writer.byte(request.alarm.alarm);
    case 'restoreBegin':
      writer.uint(request.restoreBegin.id);
      writer.uint(request.restoreBegin.totalBytes);
      return writer.bytes(request.restoreBegin.checksum);
    case 'restoreChunk':
      writer.uint(request.restoreChunk.id);
      writer.uint(request.restoreChunk.sequence);
      return writer.bytes(request.restoreChunk.bytes);
    case 'restoreCommit':
      return writer.uint(request.restoreCommit.id);
    case 'auth':
      return writeAuthRequest(writer, request.auth);
  }
}

function readRequest(reader: ByteReader): MvccRequest {
  const type = REQUEST_TYPES[reader.byte('request type')];
  switch (type) {
    case 'range':
      return { type, range: readRange(reader) };
    case 'put':
      return { type, put: readPut(reader) };
    case 'deleteRange':
      return { type, deleteRange: readDeleteRange(reader) };
    case 'txn':
      return { type, txn: readTxn(reader, 0) };
    case 'compaction':
      return { type, compaction: { revision: reader.uint('compaction revision') } };
    case 'leaseGrant':
      return { type, leaseGrant: { ttl: reader.int('lease ttl'), id: reader.uint('lease id') } };
    case 'leaseRevoke':
      return { type, leaseRevoke: { id: reader.uint('lease id') } };
    case 'leaseCheckpoint':
      return { type, leaseCheckpoint: { checkpoints: readList(reader, 'checkpoints', () => ({ id: reader.uint('lease id'), remainingTtl: reader.uint('remainingTtl') })) } };
    case 'alarm':
      return { type, alarm: { action: readEnum<AlarmAction>(reader, 'alarm action', 2), memberId: reader.uint('memberId'), alarm: readEnum<AlarmType>(reader, 'alarm type', 2) } };
    case 'restoreBegin':
      return { type, restoreBegin: { id: reader.uint('restore id'), totalBytes: reader.uint('restore total bytes'), checksum: reader.bytesField('restore checksum') } };
    case 'restoreChunk':
      return { type, restoreChunk: { id: reader.uint('restore id'), sequence: reader.uint('restore chunk sequence'), bytes: reader.bytesField('restore chunk bytes') } };
    case 'restoreCommit':
      return { type, restoreCommit: { id: reader.uint('restore id') } };
    case 'auth':
      return { type, auth: readAuthRequest(reader) };
    default:
      throw new RangeError(`unknown request type at offset ${reader.position - 1}`);
  }
}

function writeOptionalBytes(writer: ByteWriter, value: Uint8Array | undefined): void {
  writer.bytes(value ?? EMPTY);
}

/** Absent and empty byte strings mean the same in etcd (protobuf), so both decode as absent. */
function readOptionalBytes(reader: ByteReader, field: string): Uint8Array | undefined {
  const value = reader.bytesField(field);
  return value.length === 0 ? undefined : value;
}

function readEnum<T extends number>(reader: ByteReader, field: string, max: number): T {
  const value = reader.byte(field);
  if (value > max) throw new RangeError(`${field}: unknown value ${value} at offset ${reader.position - 1}`);
  return value as T;
}

function readList<T>(reader: ByteReader, field: string, readItem: () => T): T[] {
  const count = reader.uint(`${field} count`);
  // Each item takes at least one byte, so a count beyond the remaining bytes is corrupt.
  if (count > reader.remaining) throw new RangeError(`${field}: count ${count} exceeds the remaining bytes`);
  const items: T[] = [];
  for (let index = 0; index < count; index++) items.push(readItem());
  return items;
}

function writeRange(writer: ByteWriter, range: RangeRequest): void {
  writer.bytes(range.key);
  writeOptionalBytes(writer, range.rangeEnd);
  writer.uint(range.limit ?? 0);
  writer.uint(range.revision ?? 0);
  writer.byte(range.sortOrder ?? 0);
  writer.byte(range.sortTarget ?? 0);
  writer.byte((range.keysOnly === true ? 1 : 0) | (range.countOnly === true ? 2 : 0));
  writer.uint(range.minModRevision ?? 0);
  writer.uint(range.maxModRevision ?? 0);
  writer.uint(range.minCreateRevision ?? 0);
  writer.uint(range.maxCreateRevision ?? 0);
}

function readRange(reader: ByteReader): RangeRequest {
  const key = reader.bytesField('range key');
  const rangeEnd = readOptionalBytes(reader, 'range end');
  const limit = reader.uint('limit');
  const revision = reader.uint('revision');
  const sortOrder = readEnum<SortOrder>(reader, 'sort order', 2);
  const sortTarget = readEnum<SortTarget>(reader, 'sort target', 4);
  const flags = readEnum<number>(reader, 'range flags', 3);
  return {
    key,
    ...(rangeEnd === undefined ? {} : { rangeEnd }),
    limit,
    revision,
    sortOrder,
    sortTarget,
    keysOnly: (flags & 1) !== 0,
    countOnly: (flags & 2) !== 0,
    minModRevision: reader.uint('minModRevision'),
    maxModRevision: reader.uint('maxModRevision'),
    minCreateRevision: reader.uint('minCreateRevision'),
    maxCreateRevision: reader.uint('maxCreateRevision'),
  };
}

function writePut(writer: ByteWriter, put: PutRequest): void {
  writer.bytes(put.key);
  writer.bytes(put.value);
  writer.uint(put.lease ?? 0);
  writer.byte((put.prevKv === true ? 1 : 0) | (put.ignoreValue === true ? 2 : 0) | (put.ignoreLease === true ? 4 : 0));
  writer.string(put.contentType ?? '');
  const tags = Object.entries(put.tags ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  writer.uint(tags.length);
  for (const [name, value] of tags) {
    writer.string(name);
    writer.string(value);
  }
}

function readPut(reader: ByteReader): PutRequest {
  const key = reader.bytesField('put key');
  const value = reader.bytesField('put value');
  const lease = reader.uint('put lease');
  const flags = readEnum<number>(reader, 'put flags', 7);
  const contentType = reader.string('content type');
  const tags: Record<string, string> = {};
  for (const [name, tagValue] of readList(reader, 'tags', () => [reader.string('tag name'), reader.string('tag value')] as const)) {
    tags[name] = tagValue;
  }
  return {
    key,
    value,
    lease,
    prevKv: (flags & 1) !== 0,
    ignoreValue: (flags & 2) !== 0,
    ignoreLease: (flags & 4) !== 0,
    ...(contentType === '' ? {} : { contentType }),
    ...(Object.keys(tags).length === 0 ? {} : { tags }),
  };
}

function writeDeleteRange(writer: ByteWriter, request: DeleteRangeRequest): void {
  writer.bytes(request.key);
  writeOptionalBytes(writer, request.rangeEnd);
  writer.bool(request.prevKv);
}

function readDeleteRange(reader: ByteReader): DeleteRangeRequest {
  const key = reader.bytesField('delete key');
  const rangeEnd = readOptionalBytes(reader, 'delete range end');
  return { key, ...(rangeEnd === undefined ? {} : { rangeEnd }), prevKv: reader.bool('delete prevKv') };
}

function writeTxn(writer: ByteWriter, txn: TxnRequest): void {
  writer.uint(txn.compare.length);
  for (const compare of txn.compare) writeCompare(writer, compare);
  for (const ops of [txn.success, txn.failure]) {
    writer.uint(ops.length);
    for (const op of ops) writeOp(writer, op);
  }
}

function readTxn(reader: ByteReader, depth: number): TxnRequest {
  if (depth > TXN_DEPTH_MAX) throw new RangeError(`transactions nested deeper than ${TXN_DEPTH_MAX}`);
  const compare = readList(reader, 'compares', () => readCompare(reader));
  const success = readList(reader, 'success ops', () => readOp(reader, depth));
  const failure = readList(reader, 'failure ops', () => readOp(reader, depth));
  return { compare, success, failure };
}

function writeOp(writer: ByteWriter, op: RequestOp): void {
  writer.byte(REQUEST_TYPES.indexOf(op.type));
  if (op.type === 'range') writeRange(writer, op.range);
  else if (op.type === 'put') writePut(writer, op.put);
  else if (op.type === 'deleteRange') writeDeleteRange(writer, op.deleteRange);
  else writeTxn(writer, op.txn);
}

function readOp(reader: ByteReader, depth: number): RequestOp {
  const type = REQUEST_TYPES[reader.byte('op type')];
  if (type === 'range') return { type, range: readRange(reader) };
  if (type === 'put') return { type, put: readPut(reader) };
  if (type === 'deleteRange') return { type, deleteRange: readDeleteRange(reader) };
  if (type === 'txn') return { type, txn: readTxn(reader, depth + 1) };
  throw new RangeError(`op type ${String(type)} is not allowed in a transaction (offset ${reader.position - 1})`);
}

function writeCompare(writer: ByteWriter, compare: Compare): void {
  writer.byte(compare.result);
  writer.byte(COMPARE_TARGETS.indexOf(compare.target));
  writer.bytes(compare.key);
  writeOptionalBytes(writer, compare.rangeEnd);
  if (compare.target === 'value') writer.bytes(compare.value);
  else if (compare.target === 'version') writer.int(compare.version);
  else if (compare.target === 'create') writer.int(compare.createRevision);
  else if (compare.target === 'mod') writer.int(compare.modRevision);
  else writer.int(compare.lease);
}

function readCompare(reader: ByteReader): Compare {
  const result = readEnum<CompareResult>(reader, 'compare result', 3);
  const target = COMPARE_TARGETS[reader.byte('compare target')];
  const key = reader.bytesField('compare key');
  const rangeEnd = readOptionalBytes(reader, 'compare range end');
  const base = { result, key, ...(rangeEnd === undefined ? {} : { rangeEnd }) };
  switch (target) {
    case 'value':
      return { ...base, target, value: reader.bytesField('compare value') };
    case 'version':
      return { ...base, target, version: reader.int('compare version') };
    case 'create':
      return { ...base, target, createRevision: reader.int('compare createRevision') };
    case 'mod':
      return { ...base, target, modRevision: reader.int('compare modRevision') };
    case 'lease':
      return { ...base, target, lease: reader.int('compare lease') };
    default:
      throw new RangeError(`unknown compare target at offset ${reader.position - 1}`);
  }
}
