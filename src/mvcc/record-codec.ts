// Encodings of the values stored in LevelDB: key-value records (current and historical),
// history events, lease records and the meta record. The user key is never repeated inside
// a record because the storage key already carries it.
import { ByteReader, ByteWriter } from './byte-codec.js';
import type { AlarmMember, AlarmType } from './requests.js';
import type { KeyMetadata, KeyValue, LeaseId, Revision } from './types.js';

const RECORD_LIVE = 0;
const RECORD_TOMBSTONE = 1;
const EMPTY = new Uint8Array(0);

/** Reused for every record written during apply: one growing buffer instead of many. */
const scratch = new ByteWriter(1024);

export function encodeKeyValue(kv: KeyValue): Buffer {
  scratch.reset();
  scratch.byte(RECORD_LIVE);
  scratch.uint(kv.createRevision);
  scratch.uint(kv.modRevision);
  scratch.uint(kv.version);
  scratch.uint(kv.lease);
  writeMetadata(scratch, kv.metadata);
  scratch.raw(kv.value);
  return scratch.finish();
}

const TOMBSTONE = Buffer.from([RECORD_TOMBSTONE]);

export function encodeTombstone(): Buffer {
  return TOMBSTONE;
}

export function isTombstone(record: Uint8Array): boolean {
  return record[0] === RECORD_TOMBSTONE;
}

/** Decodes a live record; `keysOnly` skips copying nothing but leaves the value empty. */
export function decodeKeyValue(key: Uint8Array, record: Uint8Array, keysOnly = false): KeyValue {
  const reader = new ByteReader(record);
  if (reader.byte('record type') !== RECORD_LIVE) throw new Error('decodeKeyValue called on a tombstone');
  const createRevision = reader.uint('createRevision') as Revision;
  const modRevision = reader.uint('modRevision') as Revision;
  const version = reader.uint('version');
  const lease = reader.uint('lease') as LeaseId;
  const metadata = readMetadata(reader);
  const value = keysOnly ? EMPTY : reader.raw(reader.remaining, 'value');
  return { key, createRevision, modRevision, version, value, lease, metadata };
}

function writeMetadata(writer: ByteWriter, metadata: KeyMetadata): void {
  writer.uint(metadata.createdAtMs);
  writer.uint(metadata.updatedAtMs);
  writer.string(metadata.contentType);
  writer.uint(metadata.tags.length);
  for (const [name, value] of metadata.tags) {
    writer.string(name);
    writer.string(value);
  }
}

function readMetadata(reader: ByteReader): KeyMetadata {
  const createdAtMs = reader.uint('createdAtMs');
  const updatedAtMs = reader.uint('updatedAtMs');
  const contentType = reader.string('contentType');
  const tagCount = reader.uint('tag count');
  const tags: Array<readonly [string, string]> = [];
  for (let index = 0; index < tagCount; index++) tags.push([reader.string('tag name'), reader.string('tag value')]);
  return { contentType, createdAtMs, updatedAtMs, tags };
}

export const EventType = { Put: 0, Delete: 1 } as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** A history record: what happened to which key, and the key's previous live mod revision. */
export interface HistoryRecord {
  readonly type: EventType;
  /** 0 when the key did not exist before this event. */
  readonly prevModRevision: number;
  readonly key: Uint8Array;
}

export function encodeHistory(record: HistoryRecord): Buffer {
  scratch.reset();
  scratch.byte(record.type);
  scratch.uint(record.prevModRevision);
  scratch.raw(record.key);
  return scratch.finish();
}

export function decodeHistory(bytes: Uint8Array): HistoryRecord {
  const reader = new ByteReader(bytes);
  const type = reader.byte('event type') as EventType;
  const prevModRevision = reader.uint('prevModRevision');
  return { type, prevModRevision, key: reader.raw(reader.remaining, 'key') };
}

export interface LeaseRecord {
  readonly id: LeaseId;
  /** Granted TTL in seconds. */
  readonly ttl: number;
  /** Last checkpointed remaining TTL in seconds; 0 means none (use the full TTL). */
  readonly remainingTtl: number;
  readonly grantedAtMs: number;
}

export function encodeLease(record: LeaseRecord): Buffer {
  scratch.reset();
  scratch.uint(record.ttl);
  scratch.uint(record.remainingTtl);
  scratch.uint(record.grantedAtMs);
  return scratch.finish();
}

export function decodeLease(id: LeaseId, bytes: Uint8Array): LeaseRecord {
  const reader = new ByteReader(bytes);
  return { id, ttl: reader.uint('ttl'), remainingTtl: reader.uint('remainingTtl'), grantedAtMs: reader.uint('grantedAtMs') };
}

/** The replicated scalar state of the store, written in the same batch as the data. */
export interface MetaRecord {
  readonly revision: Revision;
  readonly compactRevision: Revision;
  readonly appliedIndex: number;
  readonly appliedTerm: number;
  /** The next candidate for a lease id chosen by the store. */
  readonly nextLeaseId: number;
  readonly alarms: ReadonlyArray<AlarmMember>;
}

const META_FORMAT = 1;

export function encodeMeta(meta: MetaRecord): Buffer {
  const writer = new ByteWriter(64);
  writer.byte(META_FORMAT);
  writer.uint(meta.revision);
  writer.uint(meta.compactRevision);
  writer.uint(meta.appliedIndex);
  writer.uint(meta.appliedTerm);
  writer.uint(meta.nextLeaseId);
  writer.uint(meta.alarms.length);
  for (const alarm of meta.alarms) {
    writer.uint(alarm.memberId);
    writer.byte(alarm.alarm);
  }
  return writer.finish();
}

export function decodeMeta(bytes: Uint8Array): MetaRecord {
  const reader = new ByteReader(bytes);
  const format = reader.byte('meta format');
  if (format !== META_FORMAT) throw new Error(`unknown MVCC meta format ${format}`);
  const revision = reader.uint('revision') as Revision;
  const compactRevision = reader.uint('compactRevision') as Revision;
  const appliedIndex = reader.uint('appliedIndex');
  const appliedTerm = reader.uint('appliedTerm');
  const nextLeaseId = reader.uint('nextLeaseId');
  const alarms: AlarmMember[] = [];
  const count = reader.uint('alarm count');
  for (let index = 0; index < count; index++) {
    alarms.push({ memberId: reader.uint('memberId'), alarm: reader.byte('alarm') as AlarmType });
  }
  return { revision, compactRevision, appliedIndex, appliedTerm, nextLeaseId, alarms };
}

/** Where physical compaction has got to: history below `next` has been removed. */
export interface CompactionProgress {
  readonly nextRevision: number;
  readonly nextSub: number;
}

export function encodeCompactionProgress(progress: CompactionProgress): Buffer {
  const writer = new ByteWriter(16);
  writer.uint(progress.nextRevision);
  writer.uint(progress.nextSub);
  return writer.finish();
}

export function decodeCompactionProgress(bytes: Uint8Array): CompactionProgress {
  const reader = new ByteReader(bytes);
  return { nextRevision: reader.uint('nextRevision'), nextSub: reader.uint('nextSub') };
}
