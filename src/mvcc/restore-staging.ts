// The staging of a cluster-wide restore. A backup is too large for one Raft entry, so it is
// replicated in steps that apply deterministically on every member: begin records the
// backup's size and SHA-256, each chunk is written under the restore's id in the staging
// keyspace (in the same batch as the applied index, like all applied state), and commit
// streams the staged chunks, in order and verified, into MvccStore's generation switch.
//
// Abandoned restores (a proposer that died half-way) need no timeout: a group stages one
// restore at a time, so every begin clears all staging, whatever its id, and a commit clears
// it with the generation it replaces. A chunk or commit of a restore that a later begin
// cleared is refused, so the later restore wins and the earlier one fails with a clear error.
//
// A committed restore never moves the revision back (restoredMeta), as etcd's `snapshot restore
// --bump-revision --mark-compacted`: watchers and caches would misread revisions they have
// already seen, with other contents.
import { createHash } from 'node:crypto';
import { ByteReader, ByteWriter } from './byte-codec.js';
import { MvccError } from './errors.js';
import type { Keyspace } from './key-codec.js';
import type { MetaRecord } from './record-codec.js';
import type { RestoreBeginRequest, RestoreChunkRequest } from './requests.js';
import type { Database, WriteBuffer } from './storage.js';
import { revision, type Revision } from './types.js';

/** A chunk fits in one Raft entry and one peer frame. */
export const RESTORE_CHUNK_BYTES_MAX = 1024 * 1024;
export const RESTORE_CHECKSUM_BYTES = 32;

interface RestoreHeader {
  readonly totalBytes: number;
  readonly checksum: Uint8Array;
}

const invalid = (reason: string): MvccError => new MvccError('MVCC_SNAPSHOT_INVALID', { reason });

/** Begin: drops any staged restore (abandoned or not) and records this one's size and checksum. */
export async function stageRestoreBegin(buffer: WriteBuffer, keyspace: Keyspace, request: RestoreBeginRequest): Promise<void> {
  for await (const page of buffer.pages(keyspace.restoreStagingBounds(), false)) {
    for (const [key] of page) buffer.del(key);
  }
  const writer = new ByteWriter(RESTORE_CHECKSUM_BYTES + 16);
  writer.uint(request.totalBytes);
  writer.raw(request.checksum);
  buffer.put(keyspace.restoreHeaderKey(request.id), writer.finish());
}

export function stageRestoreChunk(buffer: WriteBuffer, keyspace: Keyspace, request: RestoreChunkRequest): void {
  if (buffer.get(keyspace.restoreHeaderKey(request.id)) === undefined) throw notStaged(request.id);
  const { bytes } = request;
  buffer.put(keyspace.restoreChunkKey(request.id, request.sequence), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/**
 * The staged backup of restore `id`, chunk by chunk in sequence order. After the last chunk it
 * checks that no chunk is missing and that size and SHA-256 match what begin announced; any
 * failure is an MVCC_SNAPSHOT_INVALID thrown from the iteration, so the generation being
 * loaded from it is discarded.
 */
export async function* stagedBackup(db: Database, keyspace: Keyspace, id: number): AsyncIterable<Uint8Array> {
  const [headerBytes] = await db.getMany([keyspace.restoreHeaderKey(id)]);
  const header = readHeader(headerBytes, id);
  const hash = createHash('sha256');
  let stagedBytes = 0;
  let expectedSequence = 0;
  // One chunk at a time: chunks are up to a MiB each, so pages of them would hold too much.
  for await (const [key, value] of db.iterator(keyspace.restoreChunkBounds(id))) {
    const sequence = keyspace.sequenceOfRestoreChunkKey(key);
    if (sequence !== expectedSequence) throw invalid(`restore ${id} is missing chunk ${expectedSequence}`);
    expectedSequence++;
    stagedBytes += value.length;
    hash.update(value);
    yield value;
  }
  if (stagedBytes !== header.totalBytes) throw invalid(`restore ${id} has ${stagedBytes} of its ${header.totalBytes} bytes staged; chunks are missing`);
  if (!hash.digest().equals(header.checksum)) throw invalid(`restore ${id}: the staged backup does not match its checksum`);
}

/**
 * The meta record of a restored backup, moved past every revision a client may have seen and
 * with everything before marked compacted. Clients have seen at most `revisionBefore` (the
 * store's revision when the commit applies, the same on every member), and a watcher that saw
 * it waits for the next one: that one too must be compacted, so the watcher gets MVCC_COMPACTED
 * and relists. The restored state is at the revision after it, which is also the compaction
 * point, so reads at the current revision still answer. The backup's own revision may be the
 * higher one (a backup of another cluster); its keys' revisions stay below the new one either way.
 */
export function restoredMeta(backup: MetaRecord, revisionBefore: Revision): MetaRecord {
  const firstUnseen = Math.max(backup.revision, revisionBefore) + 1;
  const restored = revision(firstUnseen + 1);
  return { ...backup, revision: restored, compactRevision: restored };
}

function readHeader(bytes: Buffer | undefined, id: number): RestoreHeader {
  if (bytes === undefined) throw notStaged(id);
  const reader = new ByteReader(bytes);
  const totalBytes = reader.uint('restore total bytes');
  const checksum = reader.raw(RESTORE_CHECKSUM_BYTES, 'restore checksum');
  return { totalBytes, checksum };
}

function notStaged(id: number): MvccError {
  return new MvccError('MVCC_INVALID_ARGUMENT', { reason: `restore ${id} was never begun or a later restore replaced it` });
}
