// The file operations the node's storage uses, as a seam: production passes node:fs/promises
// itself (no wrapper, so the WAL's hot path is unchanged), and the simulator passes a disk
// whose fsyncs stall and whose unsynced bytes a crash loses. Errors carry Node's `code`
// (ENOENT, EEXIST) in both, since callers tell a missing file from a failure by it.

import * as fs from 'node:fs/promises';

/** An open file. A write or read at position null continues at the handle's own offset. */
export interface FileHandle {
  write(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesWritten: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }>;
  /** Makes the file's data durable (fdatasync). */
  datasync(): Promise<void>;
  /** Makes the file's data and metadata durable (fsync); on a directory, its entries. */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/** 'r' reads, 'r+' reads and writes, 'w' creates or empties, 'wx' creates or fails with EEXIST. */
export type OpenFlags = 'r' | 'r+' | 'w' | 'wx';

export interface FileSystem {
  open(path: string, flags: OpenFlags): Promise<FileHandle>;
  readFile(path: string): Promise<Buffer>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string, options: { readonly recursive: true }): Promise<unknown>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rm(path: string, options: { readonly force: true }): Promise<void>;
}

export const nodeFileSystem: FileSystem = {
  open: (path, flags) => fs.open(path, flags),
  readFile: (path) => fs.readFile(path),
  readdir: (path) => fs.readdir(path),
  mkdir: (path, options) => fs.mkdir(path, options),
  rename: (from, to) => fs.rename(from, to),
  unlink: (path) => fs.unlink(path),
  rm: (path, options) => fs.rm(path, options),
};
