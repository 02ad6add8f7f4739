// Opening a data directory: load the newest snapshot, read every WAL segment in order, cut a
// torn tail off the newest one, replay the records and reconcile the log with the snapshot.
// Everything here is asynchronous; a node opens many groups at once without blocking.

import { join } from 'node:path';
import type { RecordCipher } from '../encryption/record-cipher.js';
import type { ConfState, GroupId, HardState, Snapshot } from '../raft/types.js';
import { EMPTY_BYTES, EMPTY_CONF_STATE, logIndex, term } from '../raft/types.js';
import { StorageCorruptError } from './errors.js';
import type { StorageIo } from './file-io.js';
import { syncData, syncDirectory } from './file-io.js';
import { parseSegmentFileName } from './file-names.js';
import type { InMemoryLog } from './in-memory-log.js';
import { scanSegment } from './segment-scan.js';
import type { SegmentFile } from './segmented-wal.js';
import type { LoadedSnapshot, SnapshotFiles } from './snapshot-files.js';
import { SnapshotOrigin } from './snapshot-files.js';
import type { SegmentRecords } from './wal-replay.js';
import { replaySegments } from './wal-replay.js';

export interface RaftDirectories {
  readonly logs: string;
  readonly snapshots: string;
}

export interface RecoveredLog {
  readonly snapshot: Snapshot;
  readonly log: InMemoryLog;
  readonly hardState: HardState;
  readonly segments: SegmentFile[];
  /** Intact bytes of the newest segment, where appends continue. */
  readonly headBytes: number;
  /** The snapshot is newer than the log and replaced it; the WAL must record that before use. */
  readonly replacedBySnapshot: boolean;
}

/** Creates `<dataDir>/raft/logs` and `<dataDir>/raft/snapshots` and makes their entries durable. */
export async function prepareDirectories(dataDirectory: string, io: StorageIo): Promise<RaftDirectories> {
  const raft = join(dataDirectory, 'raft');
  const directories = { logs: join(raft, 'logs'), snapshots: join(raft, 'snapshots') };
  await io.fileSystem.mkdir(directories.logs, { recursive: true });
  await io.fileSystem.mkdir(directories.snapshots, { recursive: true });
  for (const directory of [raft, dataDirectory]) await syncDirectory(directory, io);
  return directories;
}

export interface RecoveryOptions {
  readonly group: GroupId;
  /** The members of a new cluster; ignored when the directory already holds a log. */
  readonly newClusterConfState: ConfState | undefined;
  readonly cipher: RecordCipher;
}

export async function recoverLog(
  directories: RaftDirectories,
  snapshotFiles: SnapshotFiles,
  options: RecoveryOptions,
  io: StorageIo,
): Promise<RecoveredLog> {
  const { newClusterConfState } = options;
  const loaded = await snapshotFiles.loadNewest();
  const segments = await readSegments(directories.logs, options, io);
  if (loaded === null && segments.files.length > 0) {
    throw new StorageCorruptError(directories.snapshots, 0, 'the directory holds no snapshot, yet the log has segments');
  }
  const { snapshot, origin } = loaded ?? (await writeInitialSnapshot(snapshotFiles, newClusterConfState));
  const replayed = replaySegments(segments.records);
  const files = segments.files.map((file, i) => ({ ...file, contents: replayed.contents[i]! }));
  // A snapshot from a leader lies at or below the origin once its marker is in the log; if it
  // lies above, the crash came between the file and the marker, and the log is replaced now.
  const replacedBySnapshot = origin === SnapshotOrigin.Applied && snapshot.metadata.index > replayed.log.origin.index;
  if (replacedBySnapshot) replayed.log.reset(snapshot.metadata.index, snapshot.metadata.term);
  const { log, hardState } = replayed;
  return { snapshot, log, hardState, segments: files, headBytes: segments.headBytes, replacedBySnapshot };
}

async function writeInitialSnapshot(snapshotFiles: SnapshotFiles, confState: ConfState | undefined): Promise<LoadedSnapshot> {
  const metadata = { index: logIndex(0), term: term(0), confState: confState ?? EMPTY_CONF_STATE };
  const snapshot = { metadata, data: EMPTY_BYTES };
  await snapshotFiles.write(snapshot, SnapshotOrigin.Created);
  return { snapshot, origin: SnapshotOrigin.Created };
}

interface ReadSegments {
  files: Omit<SegmentFile, 'contents'>[];
  records: SegmentRecords[];
  headBytes: number;
}

async function readSegments(directory: string, { group, cipher }: RecoveryOptions, io: StorageIo): Promise<ReadSegments> {
  const files = listSegments(await io.fileSystem.readdir(directory), directory);
  const result: ReadSegments = { files, records: [], headBytes: 0 };
  for (const [position, file] of files.entries()) {
    const isLastSegment = position === files.length - 1;
    const scan = scanSegment(await io.fileSystem.readFile(file.path), { file: file.path, group, isLastSegment, cipher });
    if (scan.tornTail !== null) await truncate(file.path, scan.intactBytes, io);
    result.records.push({ file: file.path, records: scan.records });
    result.headBytes = scan.intactBytes;
  }
  return result;
}

/** The segment files in sequence order; a missing sequence number in between is corruption. */
function listSegments(fileNames: readonly string[], directory: string): Omit<SegmentFile, 'contents'>[] {
  const segments = fileNames
    .map((fileName) => ({ name: parseSegmentFileName(fileName), path: join(directory, fileName) }))
    .filter((segment): segment is Omit<SegmentFile, 'contents'> => segment.name !== null)
    .sort((a, b) => a.name.sequence - b.name.sequence);
  for (let i = 1; i < segments.length; i++) {
    const previous = segments[i - 1]!.name.sequence;
    if (segments[i]!.name.sequence !== previous + 1) {
      throw new StorageCorruptError(segments[i]!.path, 0, `segment ${previous + 1} before it is missing`);
    }
  }
  return segments;
}

/** Cuts a torn write off the newest segment, so new records follow the last intact one. */
async function truncate(path: string, length: number, io: StorageIo): Promise<void> {
  const handle = await io.fileSystem.open(path, 'r+');
  try {
    await handle.truncate(length);
    await syncData(handle, io.stats);
  } finally {
    await handle.close();
  }
}
