// etcd's HashKV: a CRC-32C over the bytes etcd's own store holds for the key history, so that a
// tool comparing members by hash (etcdctl endpoint hashkv, etcd's corruption checks, operators)
// sees equal hashes exactly when members hold the same history, and Beaver-Vault's hash of a
// history equals etcd's of the same history.
//
// etcd keeps each revision in its "key" bucket under the 17-byte revision key (main revision,
// '_', sub revision, each 8 bytes big-endian), with a trailing 't' for a deletion, and as value
// the mvccpb.KeyValue marshalled (a deletion: only the key). HashKV(rev) writes the bucket name,
// then every such key and value in key order whose main revision is at most rev. Of those at
// or below the compact revision (the puts compaction kept: each key's last revision there, if
// a put) it skips each whose key changed again by rev (etcd's kvindex.Keep(rev)), except that
// when no key at all is live at rev it skips none. The history events here are in the same
// (main, sub) order, and compaction keeps the event of each revision it keeps.
import { Crc32c } from '@aws-crypto/crc32c';
import { KeyValue as KeyValueMessage } from '../generated/etcd/mvccpb/kv.js';
import { keyValueMessage } from './etcd-key-value.js';
import type { Keyspace } from './key-codec.js';
import { decodeHistory, decodeKeyValue, EventType, type HistoryRecord, isTombstone } from './record-codec.js';
import type { StorageReader } from './storage.js';

const KEY_BUCKET_NAME = Buffer.from('key');
const REVISION_KEY_BYTES = 17;
const TOMBSTONE_MARK = 't'.charCodeAt(0);

interface StoredEvent {
  readonly revision: number;
  readonly sub: number;
  readonly event: HistoryRecord;
  /** The revision record: a put's KeyValue or a tombstone; absent once compaction removed it. */
  readonly record: Uint8Array | undefined;
}

/**
 * The CRC-32C etcd's HashKV gives for this history up to `atRevision`. `compactRevision` is 0
 * when nothing was compacted; physical compaction must have finished.
 */
export async function etcdHashKv(reader: StorageReader, keyspace: Keyspace, atRevision: number, compactRevision: number): Promise<number> {
  const lastChangeSinceCompaction = new Map<string, EventType>();
  for await (const stored of storedEvents(reader, keyspace, compactRevision + 1, atRevision, false)) lastChangeSinceCompaction.set(keyText(stored.event.key), stored.event.type);
  const keptUnchanged = (stored: StoredEvent): boolean => !lastChangeSinceCompaction.has(keyText(stored.event.key));
  const anyKeyLive = [...lastChangeSinceCompaction.values()].includes(EventType.Put) || (await some(keptPuts(reader, keyspace, compactRevision), keptUnchanged));

  const crc = new Crc32c().update(KEY_BUCKET_NAME);
  for await (const stored of keptPuts(reader, keyspace, compactRevision)) {
    if (!anyKeyLive || keptUnchanged(stored)) crc.update(revisionKey(stored, false)).update(putValue(stored));
  }
  for await (const stored of storedEvents(reader, keyspace, compactRevision + 1, atRevision, true)) {
    const deleted = stored.event.type === EventType.Delete;
    crc.update(revisionKey(stored, deleted)).update(deleted ? deletionValue(stored.event.key) : putValue(stored));
  }
  return crc.digest();
}

/** The puts at or below the compact revision that compaction kept. */
async function* keptPuts(reader: StorageReader, keyspace: Keyspace, compactRevision: number): AsyncIterable<StoredEvent> {
  for await (const stored of storedEvents(reader, keyspace, 1, compactRevision, true)) {
    if (stored.event.type === EventType.Put && stored.record !== undefined && !isTombstone(stored.record)) yield stored;
  }
}

/** The history events with main revision in [from, to], in order, with their records if asked. */
async function* storedEvents(reader: StorageReader, keyspace: Keyspace, from: number, to: number, withRecords: boolean): AsyncIterable<StoredEvent> {
  if (from > to) return;
  const bounds = { gte: keyspace.historyKey({ revision: from, sub: 0 }), lt: keyspace.historyKey({ revision: to + 1, sub: 0 }) };
  for await (const page of reader.pages(bounds)) {
    const events = page.map(([historyKey, value]) => ({ ...keyspace.positionOfHistoryKey(historyKey), event: decodeHistory(value) }));
    const records = withRecords ? await reader.getMany(events.map(({ revision, event }) => keyspace.revisionKey(event.key, revision))) : [];
    for (const [index, event] of events.entries()) yield { ...event, record: records[index] };
  }
}

async function some<T>(items: AsyncIterable<T>, test: (item: T) => boolean): Promise<boolean> {
  for await (const item of items) if (test(item)) return true;
  return false;
}

function keyText(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

function revisionKey({ revision, sub }: StoredEvent, tombstone: boolean): Buffer {
  const key = Buffer.alloc(REVISION_KEY_BYTES + (tombstone ? 1 : 0));
  key.writeBigUInt64BE(BigInt(revision), 0);
  key[8] = '_'.charCodeAt(0);
  key.writeBigUInt64BE(BigInt(sub), 9);
  if (tombstone) key[REVISION_KEY_BYTES] = TOMBSTONE_MARK;
  return key;
}

function deletionValue(key: Uint8Array): Uint8Array {
  return KeyValueMessage.encode(KeyValueMessage.fromPartial({ key })).finish();
}

function putValue({ revision, event, record }: StoredEvent): Uint8Array {
  if (record === undefined || isTombstone(record)) throw new Error(`the history names a put at revision ${revision} whose record is missing`);
  return KeyValueMessage.encode(keyValueMessage(decodeKeyValue(event.key, record))).finish();
}
