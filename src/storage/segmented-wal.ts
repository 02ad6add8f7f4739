// The write side of the log: records go through group commit into the newest segment (the
// head); once the head reaches its size limit a new one is started, and segments whose every
// entry was compacted or replaced by a snapshot are deleted, oldest first.
//
// A new segment begins with the current snapshot marker and hard state, so that the segments
// after a deleted prefix still tell replay the origin and the hard state.

import { join } from 'node:path';
import type { RecordCipher } from '../encryption/record-cipher.js';
import type { GroupId, HardState, LogIndex, Term } from '../raft/types.js';
import type { StorageIo } from './file-io.js';
import type { FileHandle } from './file-system.js';
import { reachFailpoint } from '../failpoints/failpoints.js';
import { syncData, syncDirectory, writeFully } from './file-io.js';
import type { SegmentName } from './file-names.js';
import { segmentFileName } from './file-names.js';
import { GroupCommitQueue } from './group-commit-queue.js';
import type { SegmentContents } from './wal-replay.js';
import type { WalRecord } from './wal-record.js';
import { WalRecordType, encodeWalRecord } from './wal-record.js';

/** The log as the records written so far leave it; what a new segment's header repeats. */
export interface WalTail {
  originIndex: LogIndex;
  originTerm: Term;
  hardState: HardState;
  lastIndex: LogIndex;
}

export interface SegmentFile {
  readonly name: SegmentName;
  readonly path: string;
  readonly contents: SegmentContents;
}

export interface SegmentedWalOptions {
  readonly directory: string;
  readonly group: GroupId;
  readonly segmentBytesMax: number;
  readonly io: StorageIo;
  /** Seals every record's payload; RecordCipher.disabled writes them in the clear. */
  readonly cipher: RecordCipher;
}

interface QueuedRecord {
  readonly record: WalRecord;
  readonly frame: Buffer;
  /** False for a record that may be lost in a crash until a later record's fsync covers it. */
  readonly sync: boolean;
}

export interface AppendOptions {
  /** Must settle before the record is written (a snapshot file before its marker). */
  readonly barrier?: Promise<unknown>;
  /**
   * Whether the record must be fsynced before the promise resolves (the default). A batch of
   * records none of which asks for it is written without an fsync.
   */
  readonly sync?: boolean;
}

export class SegmentedWal {
  private readonly queue = new GroupCommitQueue<QueuedRecord>((records) => this.writeBatch(records));
  // Invariant: the head is the newest segment; `closedSegments` are older, oldest first, and
  // their sequence numbers and the head's are consecutive.
  private readonly closedSegments: SegmentFile[];
  private head: SegmentFile;
  private headHandle: FileHandle;
  private headBytes: number;
  private rollQueued = false;

  private constructor(
    private readonly options: SegmentedWalOptions,
    segments: SegmentFile[],
    handle: FileHandle,
    headBytes: number,
    // Invariant: reflects exactly the records written so far (fsynced, or covered by the next fsync).
    private readonly tail: WalTail,
  ) {
    this.closedSegments = segments.slice(0, -1);
    this.head = segments[segments.length - 1]!;
    this.headHandle = handle;
    this.headBytes = headBytes;
  }

  /** Continues the newest of `segments` (cut to `headBytes`), or starts the first segment. */
  static async resume(
    options: SegmentedWalOptions,
    segments: SegmentFile[],
    headBytes: number,
    tail: WalTail,
  ): Promise<SegmentedWal> {
    const newest = segments[segments.length - 1];
    if (newest !== undefined) {
      const handle = await options.io.fileSystem.open(newest.path, 'r+');
      return new SegmentedWal(options, segments, handle, headBytes, tail);
    }
    const first = await createSegment(options, { sequence: 1, firstIndex: tail.lastIndex + 1 }, tail);
    return new SegmentedWal(options, [first.segment], first.handle, first.bytes, tail);
  }

  get segmentCount(): number {
    return this.closedSegments.length + 1;
  }

  /** The sequence number of the oldest segment still on disk. */
  get oldestSequence(): number {
    return (this.closedSegments[0] ?? this.head).name.sequence;
  }

  /**
   * Closes the head and starts a new segment now; resolves with the new head's sequence number
   * and the last index written before it. Rotation uses it so that every record from then on,
   * the new segment's header included, is sealed under the new key.
   */
  startSegment(): Promise<{ sequence: number; lastIndexBefore: LogIndex }> {
    return this.queue.exclusive(async () => {
      const lastIndexBefore = this.tail.lastIndex;
      await this.roll();
      return { sequence: this.head.name.sequence, lastIndexBefore };
    });
  }

  /** Resolves once the record is durable, or only written when `options.sync` is false. */
  append(record: WalRecord, options: AppendOptions = {}): Promise<void> {
    const queued = { record, frame: encodeWalRecord(record, this.options.group, this.options.cipher), sync: options.sync ?? true };
    return this.queue.submit(queued, options.barrier);
  }

  /**
   * Deletes the oldest segments while each holds only entries at or below both the durable
   * origin and `snapshotIndex`, or only entries a later snapshot replaced. The head stays.
   */
  removeObsoleteSegments(snapshotIndex: LogIndex): Promise<void> {
    return this.queue.exclusive(async () => {
      const bound = Math.min(this.tail.originIndex, snapshotIndex);
      for (let oldest = this.closedSegments[0]; oldest !== undefined; oldest = this.closedSegments[0]) {
        if (!oldest.contents.supersededBySnapshot && oldest.contents.maxEntryIndex > bound) break;
        await this.options.io.fileSystem.unlink(oldest.path);
        // One directory sync per deletion keeps the survivors a consecutive run after a crash.
        await syncDirectory(this.options.directory, this.options.io);
        this.closedSegments.shift();
      }
    });
  }

  /** Resolves once every record appended so far is durable; rejects if the log has failed. */
  durable(): Promise<void> {
    return this.queue.drain();
  }

  async close(): Promise<void> {
    await this.queue.drain().finally(() => this.headHandle.close());
  }

  private async writeBatch(records: readonly QueuedRecord[]): Promise<void> {
    const bytes = records.length === 1 ? records[0]!.frame : Buffer.concat(records.map((queued) => queued.frame));
    await reachFailpoint('wal-write');
    const { stats } = this.options.io;
    await writeFully(this.headHandle, bytes, this.headBytes, stats);
    if (records.some((queued) => queued.sync)) await syncData(this.headHandle, stats);
    this.headBytes += bytes.byteLength;
    for (const { record } of records) this.noteWritten(record);
    if (this.headBytes >= this.options.segmentBytesMax && !this.rollQueued) {
      this.rollQueued = true;
      // Rolled after this batch's waiters resolve, so their latency does not include it.
      this.queue.exclusive(() => this.roll()).catch(() => {
        // The queue records the failure and refuses every later write with it.
      });
    }
  }

  private noteWritten(record: WalRecord): void {
    if (record.type === WalRecordType.Entries) {
      const last = record.entries[record.entries.length - 1]!;
      this.tail.lastIndex = last.index;
      this.head.contents.maxEntryIndex = Math.max(this.head.contents.maxEntryIndex, last.index);
    } else if (record.type === WalRecordType.HardState) {
      this.tail.hardState = record.hardState;
    } else {
      this.tail.originIndex = record.index;
      this.tail.originTerm = record.term;
      if (!record.replacesLog) return;
      this.tail.lastIndex = record.index;
      // The entries before the marker are gone, in this segment as in the older ones.
      this.head.contents.maxEntryIndex = 0;
      for (const segment of this.closedSegments) segment.contents.supersededBySnapshot = true;
    }
  }

  private async roll(): Promise<void> {
    this.rollQueued = false;
    const name = { sequence: this.head.name.sequence + 1, firstIndex: this.tail.lastIndex + 1 };
    const next = await createSegment(this.options, name, this.tail);
    await this.headHandle.close();
    this.closedSegments.push(this.head);
    this.head = next.segment;
    this.headHandle = next.handle;
    this.headBytes = next.bytes;
  }
}

/** Creates a segment durably, its header holding the tail's snapshot marker and hard state. */
async function createSegment(
  options: SegmentedWalOptions,
  name: SegmentName,
  tail: WalTail,
): Promise<{ segment: SegmentFile; handle: FileHandle; bytes: number }> {
  const path = join(options.directory, segmentFileName(name));
  const marker = { type: WalRecordType.SnapshotMarker, index: tail.originIndex, term: tail.originTerm, replacesLog: false } as const;
  const header = Buffer.concat([
    encodeWalRecord(marker, options.group, options.cipher),
    encodeWalRecord({ type: WalRecordType.HardState, hardState: tail.hardState }, options.group, options.cipher),
  ]);
  const handle = await options.io.fileSystem.open(path, 'wx');
  try {
    await writeFully(handle, header, 0, options.io.stats);
    await syncData(handle, options.io.stats);
    await syncDirectory(options.directory, options.io);
  } catch (error) {
    await handle.close();
    throw error;
  }
  const segment = { name, path, contents: { maxEntryIndex: 0, supersededBySnapshot: false } };
  return { segment, handle, bytes: header.byteLength };
}
