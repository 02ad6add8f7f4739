// The durable Raft log of one group: a segmented, CRC-checked write-ahead log with group
// commit, plus snapshot files, under <data dir>/raft. Reads are synchronous and served from
// memory; every write updates memory at once (in call order, so reads and later writes see
// it) and returns a promise that resolves only when the write is on disk.
//
// Usage: `const store = await DurableLogStore.open(dataDir, { groupId })`, then pass it to
// RawNode as its Storage and persist each Ready through it; `await store.close()` at the end.

import { RecordCipher } from '../encryption/record-cipher.js';
import type { LogStore } from '../raft/storage.js';
import { StorageError, StorageErrorCode, assert } from '../raft/errors.js';
import type { ConfState, Entry, GroupId, HardState, LogIndex, Snapshot, Term } from '../raft/types.js';
import { logIndex } from '../raft/types.js';
import { DurableStorageError, DurableStorageErrorCode } from './errors.js';
import type { IoStats } from './file-io.js';
import { type FileSystem, nodeFileSystem } from './file-system.js';
import { compacted, unavailable } from './in-memory-log.js';
import type { InMemoryLog } from './in-memory-log.js';
import { prepareDirectories, recoverLog } from './recovery.js';
import { SegmentedWal } from './segmented-wal.js';
import { SnapshotFiles, SnapshotOrigin } from './snapshot-files.js';
import { WalRecordType } from './wal-record.js';

export interface DurableLogStoreOptions {
  readonly groupId: GroupId;
  /** A segment is closed and a new one started once it reaches this size. Default 64 MiB. */
  readonly segmentBytesMax?: number;
  /** Snapshot files kept, newest first; older ones are deleted. Default 2. */
  readonly snapshotsRetainedMax?: number;
  /** The members of a new cluster; ignored when the directory already holds a log. */
  readonly confState?: ConfState;
  /** Where the files live; node:fs/promises unless a simulator passes its disk. */
  readonly fileSystem?: FileSystem;
  /** Seals WAL payloads and snapshot data (encryption at rest); RecordCipher.disabled by default. */
  readonly cipher?: RecordCipher;
}

export interface DurableLogStoreStats {
  /** fsync and fdatasync calls since open, WAL and snapshots together (open's own included). */
  readonly fsyncs: number;
  readonly bytesWritten: number;
  readonly segments: number;
}

const MEBIBYTE = 1024 * 1024;
const SEGMENT_BYTES_MAX_DEFAULT = 64 * MEBIBYTE;
/** Smaller segments would roll after every record; tests use a few KiB to exercise rolling. */
const SEGMENT_BYTES_MAX_LOWEST = 256;
const SEGMENT_BYTES_MAX_HIGHEST = 1024 * MEBIBYTE;
const SNAPSHOTS_RETAINED_MAX_DEFAULT = 2;

export class DurableLogStore implements LogStore {
  private closed = false;

  private constructor(
    private readonly log: InMemoryLog,
    private hardState: HardState,
    // Invariant: the snapshot snapshot() returns; its file is durable or being written.
    private currentSnapshot: Snapshot,
    // Invariant: the index of the newest snapshot whose file is durable.
    private durableSnapshotIndex: LogIndex,
    private readonly wal: SegmentedWal,
    private readonly snapshotFiles: SnapshotFiles,
    private readonly ioStats: IoStats,
  ) {}

  /**
   * Opens (or creates) the log of `options.groupId` under `<dataDirectory>/raft`. Rejects with
   * StorageCorruptError or SnapshotChecksumError when the data is damaged beyond a torn tail.
   */
  static async open(dataDirectory: string, options: DurableLogStoreOptions): Promise<DurableLogStore> {
    const settings = validateOptions(options);
    const stats: IoStats = { fsyncs: 0, bytesWritten: 0 };
    const io = { fileSystem: options.fileSystem ?? nodeFileSystem, stats };
    const cipher = options.cipher ?? RecordCipher.disabled;
    const directories = await prepareDirectories(dataDirectory, io);
    const snapshotFiles = new SnapshotFiles(directories.snapshots, { group: settings.groupId, snapshotsRetainedMax: settings.snapshotsRetainedMax, cipher }, io);
    const recovered = await recoverLog(directories, snapshotFiles, { group: settings.groupId, newClusterConfState: settings.confState, cipher }, io);
    const { log, hardState, snapshot } = recovered;
    const tail = { originIndex: log.origin.index, originTerm: log.origin.term, hardState, lastIndex: log.lastIndex() };
    const walOptions = { directory: directories.logs, group: settings.groupId, segmentBytesMax: settings.segmentBytesMax, io, cipher };
    const wal = await SegmentedWal.resume(walOptions, recovered.segments, recovered.headBytes, tail);
    if (recovered.replacedBySnapshot) {
      const { index, term } = snapshot.metadata;
      await wal.append({ type: WalRecordType.SnapshotMarker, index, term, replacesLog: true });
    }
    await wal.removeObsoleteSegments(snapshot.metadata.index);
    return new DurableLogStore(log, hardState, snapshot, snapshot.metadata.index, wal, snapshotFiles, stats);
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.currentSnapshot.metadata.confState };
  }

  entries(lo: LogIndex, hi: LogIndex, bytesMax: number): Entry[] {
    return this.log.entries(lo, hi, bytesMax);
  }

  term(i: LogIndex): Term {
    return this.log.term(i);
  }

  lastIndex(): LogIndex {
    return this.log.lastIndex();
  }

  firstIndex(): LogIndex {
    return this.log.firstIndex();
  }

  snapshot(): Snapshot {
    return this.currentSnapshot;
  }

  async append(entries: readonly Entry[]): Promise<void> {
    this.ensureOpen();
    const fresh = this.log.freshEntries(entries);
    if (fresh.length === 0) return;
    assert(this.log.overwrite(fresh), `append at ${fresh[0]!.index} leaves a gap after last index ${this.log.lastIndex()}`);
    await this.wal.append({ type: WalRecordType.Entries, entries: fresh });
  }

  /**
   * With `sync` false the promise resolves once the record is written, not fsynced: for a hard
   * state whose term and vote are unchanged, because a commit index lost in a crash is learned
   * again from the leader (etcd's Ready.MustSync).
   */
  async setHardState(hardState: HardState, sync = true): Promise<void> {
    this.ensureOpen();
    this.hardState = hardState;
    await this.wal.append({ type: WalRecordType.HardState, hardState }, { sync });
  }

  /**
   * Writes the snapshot file before the log's marker (a marker must never point at a missing
   * snapshot), then deletes the segments the snapshot made obsolete.
   */
  async applySnapshot(snapshot: Snapshot): Promise<void> {
    this.ensureOpen();
    const { index, term } = snapshot.metadata;
    const current = this.currentSnapshot.metadata.index;
    if (index <= current) throw outOfDate(index, current);
    this.currentSnapshot = snapshot;
    this.log.reset(index, term);
    const fileWritten = this.snapshotFiles.write(snapshot, SnapshotOrigin.Applied);
    const marker = { type: WalRecordType.SnapshotMarker, index, term, replacesLog: true } as const;
    await Promise.all([this.wal.append(marker, { barrier: fileWritten }), fileWritten]);
    this.durableSnapshotIndex = index;
    await this.wal.removeObsoleteSegments(index);
  }

  async createSnapshot(index: LogIndex, confState: ConfState, data: Uint8Array): Promise<Snapshot> {
    this.ensureOpen();
    const current = this.currentSnapshot.metadata.index;
    if (index <= current) throw outOfDate(index, current);
    if (index > this.log.lastIndex()) throw unavailable(index, this.log.lastIndex());
    const snapshot = { metadata: { index, term: this.log.term(index), confState }, data };
    this.currentSnapshot = snapshot;
    // The log the snapshot was taken from goes to disk first, so that a snapshot file is never
    // ahead of the entries and markers it follows.
    await this.wal.durable();
    await this.snapshotFiles.write(snapshot, SnapshotOrigin.Created);
    this.durableSnapshotIndex = logIndex(Math.max(this.durableSnapshotIndex, index));
    return snapshot;
  }

  /** Resolves once the compaction is durable and the segments it emptied are deleted. */
  async compact(index: LogIndex): Promise<void> {
    this.ensureOpen();
    const origin = this.log.origin.index;
    if (index <= origin) throw compacted(index, origin);
    if (index > this.log.lastIndex()) throw unavailable(index, this.log.lastIndex());
    this.log.compact(index);
    await this.wal.append({ type: WalRecordType.SnapshotMarker, index, term: this.log.origin.term, replacesLog: false });
    await this.wal.removeObsoleteSegments(this.durableSnapshotIndex);
  }

  /**
   * Starts a new WAL segment, so that the records after it are sealed under the cipher's
   * current key. Resolves with its sequence number and the last index written before it.
   */
  startSegment(): Promise<{ sequence: number; lastIndexBefore: LogIndex }> {
    this.ensureOpen();
    return this.wal.startSegment();
  }

  /**
   * After a key rotation: writes the snapshot at `index` (or rewrites the current one when it is
   * not older) under the current key, compacts the log to it, and deletes older snapshot files.
   * Resolves true when no segment older than `sequence` (from startSegment) is left, so that no
   * file of the log needs the old key; false while entries above `index` still hold one back.
   */
  async resealUnderCurrentKey(index: LogIndex, confState: ConfState, data: Uint8Array, sequence: number): Promise<boolean> {
    this.ensureOpen();
    if (index > this.currentSnapshot.metadata.index) {
      await this.createSnapshot(index, confState, data);
    } else if (this.durableSnapshotIndex === this.currentSnapshot.metadata.index) {
      // Its marker is durable, so whether a leader sent it no longer matters on open: Created is exact enough.
      await this.snapshotFiles.write(this.currentSnapshot, SnapshotOrigin.Created);
    } else {
      return false;
    }
    if (this.durableSnapshotIndex > this.log.origin.index) await this.compact(this.durableSnapshotIndex);
    else await this.wal.removeObsoleteSegments(this.durableSnapshotIndex);
    await this.snapshotFiles.removeAllButNewest();
    return this.wal.oldestSequence >= sequence;
  }

  stats(): DurableLogStoreStats {
    return { fsyncs: this.ioStats.fsyncs, bytesWritten: this.ioStats.bytesWritten, segments: this.wal.segmentCount };
  }

  /** Bytes of entry data held in memory after the log origin. */
  get entriesDataBytes(): number {
    return this.log.entriesDataBytes;
  }

  /** The lowest index compact() may take while the entries after it keep at most `bytesMax` bytes. */
  originKeepingBytes(bytesMax: number): LogIndex {
    return this.log.originKeepingBytes(bytesMax);
  }

  /** Waits for every pending write, then releases the files. Reads keep working; writes are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.wal.close();
  }

  private ensureOpen(): void {
    if (!this.closed) return;
    throw new DurableStorageError(DurableStorageErrorCode.Closed, 'the Raft log is closed; open it again to write');
  }
}

interface Settings {
  readonly groupId: GroupId;
  readonly segmentBytesMax: number;
  readonly snapshotsRetainedMax: number;
  readonly confState: ConfState | undefined;
}

function validateOptions(options: DurableLogStoreOptions): Settings {
  const settings: Settings = Object.freeze({
    groupId: options.groupId,
    segmentBytesMax: options.segmentBytesMax ?? SEGMENT_BYTES_MAX_DEFAULT,
    snapshotsRetainedMax: options.snapshotsRetainedMax ?? SNAPSHOTS_RETAINED_MAX_DEFAULT,
    confState: options.confState,
  });
  const problems: string[] = [];
  const { groupId, segmentBytesMax, snapshotsRetainedMax } = settings;
  if (!Number.isSafeInteger(groupId) || groupId < 0) problems.push(`groupId must be a non-negative integer, got ${groupId}`);
  if (!Number.isInteger(segmentBytesMax) || segmentBytesMax < SEGMENT_BYTES_MAX_LOWEST || segmentBytesMax > SEGMENT_BYTES_MAX_HIGHEST) {
    problems.push(
      `segmentBytesMax must be an integer from ${SEGMENT_BYTES_MAX_LOWEST} to ${SEGMENT_BYTES_MAX_HIGHEST}, got ${segmentBytesMax}`,
    );
  }
  if (!Number.isInteger(snapshotsRetainedMax) || snapshotsRetainedMax < 1) {
    problems.push(`snapshotsRetainedMax must be an integer of at least 1, got ${snapshotsRetainedMax}`);
  }
  if (problems.length === 0) return settings;
  throw new DurableStorageError(DurableStorageErrorCode.InvalidOptions, `invalid Raft log options: ${problems.join('; ')}`);
}

function outOfDate(index: number, current: number): StorageError {
  const reason = `snapshot at ${index} is not newer than the current snapshot at ${current}`;
  return new StorageError(StorageErrorCode.SnapshotOutOfDate, reason);
}
