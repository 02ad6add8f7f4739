// The few file operations the log and the snapshots share, each counting its fsyncs so that
// the store can report how many it issued (group commit exists to keep that number low).

import type { FileHandle, FileSystem } from './file-system.js';

export interface IoStats {
  /** fsync and fdatasync calls on files and directories. */
  fsyncs: number;
  bytesWritten: number;
}

/** The file system the store works on and the counters of what it did there. */
export interface StorageIo {
  readonly fileSystem: FileSystem;
  readonly stats: IoStats;
}

/** Writes all of `bytes` at `position`: a single write call may write less than asked. */
export async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number, stats: IoStats): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.byteLength - written, position + written);
    written += bytesWritten;
  }
  stats.bytesWritten += written;
}

export async function syncData(handle: FileHandle, stats: IoStats): Promise<void> {
  await handle.datasync();
  stats.fsyncs++;
}

/** Makes a created, renamed or deleted directory entry durable; the file's own fsync does not. */
export async function syncDirectory(path: string, io: StorageIo): Promise<void> {
  const handle = await io.fileSystem.open(path, 'r');
  try {
    await handle.sync();
    io.stats.fsyncs++;
  } finally {
    await handle.close();
  }
}
