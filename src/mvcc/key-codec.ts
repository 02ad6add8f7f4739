// The layout of storage keys. Every key starts with the 4-byte big-endian group id, so many
// Raft groups can share one LevelDB. Under the group, a root record names the active
// generation; all state lives under `group | generation | keyspace tag`, so a restore can
// fill the other generation and switch with one write.
//
//   group 00                          -> active generation (1 byte)
//   group gen 01                      -> meta (revision, applied index/term, alarms, ...)
//   group gen 02 key                  -> current KeyValue of a live key (latest read = one get)
//   group gen 03 escaped(key) rev8    -> KeyValue or tombstone at that revision (history reads)
//   group gen 04 rev8 sub4            -> history event (type, previous mod revision, key)
//   group gen 05 lease8               -> lease record (TTL, checkpointed remaining TTL)
//   group gen 06 lease8 key           -> attachment of a key to a lease
//   group gen 07                      -> physical compaction progress
//   group gen 08 id8 00               -> a staged cluster-wide restore: size and checksum
//   group gen 08 id8 01 seq4          -> one staged chunk of that restore's backup
//   group gen 09                      -> the auth state: users, roles, enabled, auth revision
//   group, and group FE               -> empty markers at both ends of the group, only while
//                                        reclaim forces LevelDB to rewrite the whole range
//   FF FF FF FF "encryption-keys"     -> the encryption keys the database's values are sealed
//                                        under (outside every group; group 0xFFFFFFFF is reserved)
//
// With encryption at rest, the values under tags 02, 03 and 08 (the only ones holding user
// values) are sealed; keys are not, since LevelDB must order them for ranges.
//
// Revision keys escape 0x00 as 00 FF and end the key with 00 01, which keeps byte order
// between user keys, so a range of user keys is a contiguous range of revision keys.
import type { GroupId } from '../raft/types.js';

export const GENERATIONS = [1, 2] as const;
export type Generation = (typeof GENERATIONS)[number];

const ROOT_TAG = 0x00;
const META_TAG = 0x01;
const CURRENT_TAG = 0x02;
const REVISION_TAG = 0x03;
const HISTORY_TAG = 0x04;
const LEASE_TAG = 0x05;
const LEASE_KEY_TAG = 0x06;
const COMPACTION_TAG = 0x07;
/** Staged restores live inside the generation, so they travel in Raft snapshots like all applied state. */
export const RESTORE_STAGING_TAG = 0x08;
/** The replicated auth state (one record), inside the generation so it travels in snapshots, backups and the hash. */
const AUTH_TAG = 0x09;
const TAG_END = 0x0a;
const RESTORE_HEADER_MARK = 0x00;
const RESTORE_CHUNK_MARK = 0x01;

const GROUP_BYTES = 4;
// The auth record is sealed too: it holds password hashes, and role grants name keys.
const SEALED_TAGS = new Set([CURRENT_TAG, REVISION_TAG, RESTORE_STAGING_TAG, AUTH_TAG]);
/** Outside every group's range: group ids stay below 0xFFFFFFFF. */
export const ENCRYPTION_KEYS_KEY = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from('encryption-keys', 'ascii')]);
/** Bytes before the keyspace-specific part: group, generation, tag. */
export const SPACE_PREFIX_BYTES = GROUP_BYTES + 2;
const TWO_POW_32 = 0x1_0000_0000;
const ESCAPE_TERMINATOR = Buffer.from([0x00, 0x01]);

export function writeUint64(target: Buffer, offset: number, value: number): void {
  target.writeUInt32BE(Math.floor(value / TWO_POW_32), offset);
  target.writeUInt32BE(value % TWO_POW_32, offset + 4);
}

export function readUint64(source: Uint8Array, offset: number): number {
  const view = Buffer.from(source.buffer, source.byteOffset, source.length);
  return view.readUInt32BE(offset) * TWO_POW_32 + view.readUInt32BE(offset + 4);
}

/** Whether the value stored under `storageKey` can hold a user's value or the auth record, and so is sealed at rest. */
export function holdsUserValue(storageKey: Uint8Array): boolean {
  const generation = storageKey[GROUP_BYTES];
  return storageKey.length >= SPACE_PREFIX_BYTES && (generation === 1 || generation === 2) && SEALED_TAGS.has(storageKey[GROUP_BYTES + 1]!);
}

/** Every storage key of a group: the root record and both generations. */
export function groupBounds(group: GroupId): { gte: Buffer; lt: Buffer } {
  const gte = Buffer.alloc(GROUP_BYTES);
  gte.writeUInt32BE(group);
  return { gte, lt: Buffer.concat([gte, Buffer.from([0xff])]) };
}

const RECLAIM_HIGH_MARK = 0xfe;

/** Keys at the very start and end of a group's range, below and above every key it holds. */
export function reclaimMarkers(group: GroupId): Buffer[] {
  const low = groupBounds(group).gte;
  return [low, Buffer.concat([low, Buffer.from([RECLAIM_HIGH_MARK])])];
}

export function rootKey(group: GroupId): Buffer {
  const key = Buffer.alloc(GROUP_BYTES + 1);
  key.writeUInt32BE(group);
  key[GROUP_BYTES] = ROOT_TAG;
  return key;
}

/** Position of an event in history: its revision and its index within that revision. */
export interface HistoryPosition {
  readonly revision: number;
  readonly sub: number;
}

/** Builds and parses the storage keys of one group's generation. */
export class Keyspace {
  private readonly base: Buffer;

  constructor(
    readonly group: GroupId,
    readonly generation: Generation,
  ) {
    this.base = Buffer.alloc(GROUP_BYTES + 1);
    this.base.writeUInt32BE(group);
    this.base[GROUP_BYTES] = generation;
  }

  /** The whole generation, for snapshot, hash and clearing. */
  bounds(): { gte: Buffer; lt: Buffer } {
    return { gte: this.base, lt: this.prefix(TAG_END) };
  }

  /** Strips group and generation: what a snapshot carries, so it can move between groups. */
  relative(storageKey: Uint8Array): Uint8Array {
    return storageKey.subarray(this.base.length);
  }

  absolute(relativeKey: Uint8Array): Buffer {
    return Buffer.concat([this.base, relativeKey]);
  }

  metaKey(): Buffer {
    return this.prefix(META_TAG);
  }

  compactionKey(): Buffer {
    return this.prefix(COMPACTION_TAG);
  }

  currentKey(key: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(SPACE_PREFIX_BYTES + key.length);
    this.writePrefix(out, CURRENT_TAG);
    out.set(key, SPACE_PREFIX_BYTES);
    return out;
  }

  /** Storage bounds for user keys in [key, rangeEnd) with etcd's rangeEnd conventions resolved. */
  currentBounds(key: Uint8Array, rangeEnd: Uint8Array | undefined): { gte: Buffer; lt: Buffer } {
    return { gte: this.currentKey(key), lt: rangeEnd === undefined ? this.prefix(CURRENT_TAG + 1) : this.currentKey(rangeEnd) };
  }

  userKeyOfCurrent(storageKey: Uint8Array): Uint8Array {
    return storageKey.subarray(SPACE_PREFIX_BYTES);
  }

  revisionKey(key: Uint8Array, rev: number): Buffer {
    const escaped = escapeKey(key);
    const out = Buffer.allocUnsafe(SPACE_PREFIX_BYTES + escaped.length + 8);
    this.writePrefix(out, REVISION_TAG);
    escaped.copy(out, SPACE_PREFIX_BYTES);
    writeUint64(out, SPACE_PREFIX_BYTES + escaped.length, rev);
    return out;
  }

  revisionBounds(key: Uint8Array, rangeEnd: Uint8Array | undefined): { gte: Buffer; lt: Buffer } {
    const gte = Buffer.concat([this.prefix(REVISION_TAG), escapeKey(key)]);
    const lt = rangeEnd === undefined ? this.prefix(REVISION_TAG + 1) : Buffer.concat([this.prefix(REVISION_TAG), escapeKey(rangeEnd)]);
    return { gte, lt };
  }

  /** Every revision of one user key. */
  revisionBoundsOfKey(key: Uint8Array): { gte: Buffer; lt: Buffer } {
    const gte = Buffer.concat([this.prefix(REVISION_TAG), escapeKey(key)]);
    const lt = Buffer.from(gte);
    // The escaped key ends with the terminator 00 01; 00 02 sorts after all of its revisions.
    lt[lt.length - 1] = 0x02;
    return { gte, lt };
  }

  /** The escaped user-key part of a revision key; equal slices mean the same user key. */
  escapedKeyOfRevision(storageKey: Uint8Array): Uint8Array {
    return storageKey.subarray(SPACE_PREFIX_BYTES, storageKey.length - 8);
  }

  userKeyOfRevision(storageKey: Uint8Array): Uint8Array {
    return unescapeKey(this.escapedKeyOfRevision(storageKey));
  }

  revisionOfRevisionKey(storageKey: Uint8Array): number {
    return readUint64(storageKey, storageKey.length - 8);
  }

  historyKey(position: HistoryPosition): Buffer {
    const out = Buffer.allocUnsafe(SPACE_PREFIX_BYTES + 12);
    this.writePrefix(out, HISTORY_TAG);
    writeUint64(out, SPACE_PREFIX_BYTES, position.revision);
    out.writeUInt32BE(position.sub, SPACE_PREFIX_BYTES + 8);
    return out;
  }

  historyEnd(): Buffer {
    return this.prefix(HISTORY_TAG + 1);
  }

  positionOfHistoryKey(storageKey: Uint8Array): HistoryPosition {
    const view = Buffer.from(storageKey.buffer, storageKey.byteOffset, storageKey.length);
    return { revision: readUint64(view, SPACE_PREFIX_BYTES), sub: view.readUInt32BE(SPACE_PREFIX_BYTES + 8) };
  }

  leaseKey(id: number): Buffer {
    const out = Buffer.allocUnsafe(SPACE_PREFIX_BYTES + 8);
    this.writePrefix(out, LEASE_TAG);
    writeUint64(out, SPACE_PREFIX_BYTES, id);
    return out;
  }

  leaseBounds(): { gte: Buffer; lt: Buffer } {
    return { gte: this.prefix(LEASE_TAG), lt: this.prefix(LEASE_TAG + 1) };
  }

  leaseIdOfLeaseKey(storageKey: Uint8Array): number {
    return readUint64(storageKey, SPACE_PREFIX_BYTES);
  }

  leaseAttachmentKey(id: number, key: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(SPACE_PREFIX_BYTES + 8 + key.length);
    this.writePrefix(out, LEASE_KEY_TAG);
    writeUint64(out, SPACE_PREFIX_BYTES, id);
    out.set(key, SPACE_PREFIX_BYTES + 8);
    return out;
  }

  leaseAttachmentBounds(id: number): { gte: Buffer; lt: Buffer } {
    const gte = this.leaseAttachmentKey(id, Buffer.alloc(0));
    return { gte, lt: this.leaseAttachmentKey(id + 1, Buffer.alloc(0)) };
  }

  userKeyOfLeaseAttachment(storageKey: Uint8Array): Uint8Array {
    return storageKey.subarray(SPACE_PREFIX_BYTES + 8);
  }

  /** Every staged restore of the generation. */
  restoreStagingBounds(): { gte: Buffer; lt: Buffer } {
    return { gte: this.prefix(RESTORE_STAGING_TAG), lt: this.prefix(RESTORE_STAGING_TAG + 1) };
  }

  restoreHeaderKey(id: number): Buffer {
    const out = Buffer.allocUnsafe(SPACE_PREFIX_BYTES + 9);
    this.writePrefix(out, RESTORE_STAGING_TAG);
    writeUint64(out, SPACE_PREFIX_BYTES, id);
    out[SPACE_PREFIX_BYTES + 8] = RESTORE_HEADER_MARK;
    return out;
  }

  restoreChunkKey(id: number, sequence: number): Buffer {
    const out = Buffer.allocUnsafe(SPACE_PREFIX_BYTES + 13);
    this.writePrefix(out, RESTORE_STAGING_TAG);
    writeUint64(out, SPACE_PREFIX_BYTES, id);
    out[SPACE_PREFIX_BYTES + 8] = RESTORE_CHUNK_MARK;
    out.writeUInt32BE(sequence, SPACE_PREFIX_BYTES + 9);
    return out;
  }

  /** The chunks of one staged restore, in sequence order. */
  restoreChunkBounds(id: number): { gte: Buffer; lt: Buffer } {
    const gte = this.restoreChunkKey(id, 0);
    const lt = Buffer.from(gte.subarray(0, SPACE_PREFIX_BYTES + 9));
    lt[SPACE_PREFIX_BYTES + 8] = RESTORE_CHUNK_MARK + 1;
    return { gte, lt };
  }

  sequenceOfRestoreChunkKey(storageKey: Uint8Array): number {
    return Buffer.from(storageKey.buffer, storageKey.byteOffset, storageKey.byteLength).readUInt32BE(SPACE_PREFIX_BYTES + 9);
  }

  /** The one record of the replicated auth state (users, roles, enabled, auth revision). */
  authKey(): Buffer {
    return this.prefix(AUTH_TAG);
  }

  private prefix(tag: number): Buffer {
    const out = Buffer.allocUnsafe(SPACE_PREFIX_BYTES);
    this.writePrefix(out, tag);
    return out;
  }

  private writePrefix(out: Buffer, tag: number): void {
    this.base.copy(out, 0);
    out[this.base.length] = tag;
  }
}

export function escapeKey(key: Uint8Array): Buffer {
  let zeros = 0;
  for (const byte of key) if (byte === 0) zeros++;
  const out = Buffer.allocUnsafe(key.length + zeros + ESCAPE_TERMINATOR.length);
  let offset = 0;
  for (const byte of key) {
    out[offset++] = byte;
    if (byte === 0) out[offset++] = 0xff;
  }
  ESCAPE_TERMINATOR.copy(out, offset);
  return out;
}

export function unescapeKey(escaped: Uint8Array): Uint8Array {
  const body = escaped.subarray(0, escaped.length - ESCAPE_TERMINATOR.length);
  if (!body.includes(0)) return body;
  const out: number[] = [];
  for (let index = 0; index < body.length; index++) {
    const byte = body[index] as number;
    out.push(byte);
    if (byte === 0) index++;
  }
  return Uint8Array.from(out);
}
