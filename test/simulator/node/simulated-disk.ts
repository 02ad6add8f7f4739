// A node's disk in virtual time. Each file keeps the bytes written so far and the bytes that
// are durable: an fsync makes the written bytes durable when it completes, and a crash throws
// away everything else. Writes and fsyncs take a seeded latency, and a stall holds every fsync
// until it ends (a slow disk, or one busy with another tenant). A crash may keep part of the
// unsynced tail, torn or with a damaged byte, as a real disk may have flushed some of it: the
// WAL's CRCs must cut such a tail off. Directory entries are durable at once (a simplification:
// the store syncs its directories anyway).
//
// Operations of a crashed incarnation never complete and never touch the disk again.

import { dirname } from 'node:path';
import type { SeededRandom } from '../../../src/raft/random.js';
import type { ProcessLockAttempt } from '../../../src/node/process-lock.js';
import type { FileHandle, FileSystem, OpenFlags } from '../../../src/storage/index.js';
import { between } from '../simulation-random.js';
import type { VirtualTime } from './virtual-time.js';

export interface DiskLatency {
  readonly writeMsMax: number;
  readonly fsyncMsMin: number;
  readonly fsyncMsMax: number;
}

interface FileState {
  written: Buffer;
  durable: Buffer;
}

/** How a crash treats the bytes written since the last fsync. */
export type UnsyncedFate = 'lost' | 'torn' | 'damaged';

/** A WAL frame ends in its CRC: a damaged byte just before it lies in the payload the CRC covers. */
const CRC_BYTES = 4;

export class SimulatedDisk {
  private readonly files = new Map<string, FileState>();
  private readonly directories = new Set<string>(['/']);
  /** Directories locked by a running incarnation, each with its holder's token; a crash frees them, as the kernel frees a dead process's locks. */
  private readonly locks = new Map<string, object>();
  private stallUntilMs = 0;
  fsyncsStalled = 0;

  constructor(
    private readonly time: VirtualTime,
    private readonly random: SeededRandom,
    private readonly latency: DiskLatency,
  ) {}

  /** Every fsync issued until `untilMs` completes no earlier than that. */
  stall(untilMs: number): void {
    this.stallUntilMs = Math.max(this.stallUntilMs, untilMs);
  }

  get stalled(): boolean {
    return this.stallUntilMs > this.time.nowMs;
  }

  /** What survives a power loss: the durable bytes, and perhaps part of each unsynced tail. */
  crash(fate: UnsyncedFate): void {
    this.locks.clear();
    for (const file of this.files.values()) {
      const { written, durable } = file;
      const appendedOnly = written.byteLength > durable.byteLength && written.subarray(0, durable.byteLength).equals(durable);
      file.written = appendedOnly && fate !== 'lost' ? this.survivingTail(written, durable.byteLength, fate) : Buffer.from(durable);
      file.durable = Buffer.from(file.written);
    }
  }

  /** NodeIo.lockUntilExit on this disk: held until released or until the disk's node crashes. */
  lockUntilCrash(directory: string): ProcessLockAttempt {
    if (this.locks.has(directory)) return { holderPid: undefined };
    const token = {};
    this.locks.set(directory, token);
    const release = (): Promise<void> => {
      if (this.locks.get(directory) === token) this.locks.delete(directory);
      return Promise.resolve();
    };
    return { lock: { release } };
  }

  /** A file system whose operations complete only while `alive()` holds (one incarnation of the node). */
  fileSystem(alive: () => boolean): FileSystem {
    return new DiskView(this, alive);
  }

  /**
   * 'torn' keeps a prefix of the tail; 'damaged' keeps all of it (it ends where a write ended,
   * so at a WAL frame boundary) and flips a byte in the last frame's payload, before its CRC.
   */
  private survivingTail(written: Buffer, durableBytes: number, fate: UnsyncedFate): Buffer {
    const tailBytes = written.byteLength - durableBytes;
    if (fate === 'torn') return Buffer.from(written.subarray(0, durableBytes + between(this.random, 0, tailBytes)));
    const kept = Buffer.from(written);
    const damageable = tailBytes - CRC_BYTES;
    if (damageable > 0) kept[kept.byteLength - CRC_BYTES - 1 - between(this.random, 0, Math.min(3, damageable - 1))]! ^= 0x5a;
    return kept;
  }

  /** @internal for DiskView */
  completeAfter<T>(alive: () => boolean, delayMs: number, effect: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      this.time.after(delayMs, () => {
        if (!alive()) return;
        try {
          resolve(effect());
        } catch (error) {
          reject(error as Error);
        }
      });
    });
  }

  writeDelayMs(): number {
    return between(this.random, 0, this.latency.writeMsMax);
  }

  fsyncDelayMs(): number {
    const delayMs = between(this.random, this.latency.fsyncMsMin, this.latency.fsyncMsMax);
    if (this.stallUntilMs <= this.time.nowMs + delayMs) return delayMs;
    this.fsyncsStalled++;
    return this.stallUntilMs - this.time.nowMs;
  }

  file(path: string): FileState | undefined {
    return this.files.get(path);
  }

  createFile(path: string): FileState {
    this.requireDirectory(dirname(path));
    const file = { written: Buffer.alloc(0), durable: Buffer.alloc(0) };
    this.files.set(path, file);
    return file;
  }

  isDirectory(path: string): boolean {
    return this.directories.has(path);
  }

  makeDirectory(path: string): void {
    for (let directory = path; !this.directories.has(directory); directory = dirname(directory)) this.directories.add(directory);
  }

  list(path: string): string[] {
    this.requireDirectory(path);
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const names = new Set<string>();
    for (const entry of [...this.files.keys(), ...this.directories]) {
      if (entry.startsWith(prefix) && entry.length > prefix.length) names.add(entry.slice(prefix.length).split('/')[0]!);
    }
    return [...names].sort();
  }

  move(from: string, to: string): void {
    const file = this.requireFile(from);
    this.requireDirectory(dirname(to));
    this.files.delete(from);
    this.files.set(to, file);
  }

  remove(path: string): void {
    this.requireFile(path);
    this.files.delete(path);
  }

  requireFile(path: string): FileState {
    const file = this.files.get(path);
    if (file === undefined) throw fileError('ENOENT', path);
    return file;
  }

  private requireDirectory(path: string): void {
    if (!this.directories.has(path)) throw fileError('ENOENT', path);
  }
}

class DiskView implements FileSystem {
  constructor(
    private readonly disk: SimulatedDisk,
    private readonly alive: () => boolean,
  ) {}

  open(path: string, flags: OpenFlags): Promise<FileHandle> {
    return this.disk.completeAfter(this.alive, 0, () => {
      if (this.disk.isDirectory(path)) return new DirectoryHandle(this.disk, this.alive);
      const existing = this.disk.file(path);
      if (flags === 'wx' && existing !== undefined) throw fileError('EEXIST', path);
      if ((flags === 'r' || flags === 'r+') && existing === undefined) throw fileError('ENOENT', path);
      if (flags === 'w' && existing !== undefined) existing.written = Buffer.alloc(0);
      if (existing === undefined) this.disk.createFile(path);
      return new SimulatedFileHandle(this.disk, this.alive, path);
    });
  }

  readFile(path: string): Promise<Buffer> {
    return this.disk.completeAfter(this.alive, 0, () => Buffer.from(this.disk.requireFile(path).written));
  }

  readdir(path: string): Promise<string[]> {
    return this.disk.completeAfter(this.alive, 0, () => this.disk.list(path));
  }

  mkdir(path: string): Promise<unknown> {
    return this.disk.completeAfter(this.alive, 0, () => this.disk.makeDirectory(path));
  }

  rename(from: string, to: string): Promise<void> {
    return this.disk.completeAfter(this.alive, 0, () => this.disk.move(from, to));
  }

  unlink(path: string): Promise<void> {
    return this.disk.completeAfter(this.alive, 0, () => this.disk.remove(path));
  }

  rm(path: string): Promise<void> {
    return this.disk.completeAfter(this.alive, 0, () => {
      if (this.disk.file(path) !== undefined) this.disk.remove(path);
    });
  }
}

class SimulatedFileHandle implements FileHandle {
  private offset = 0;

  constructor(
    private readonly disk: SimulatedDisk,
    private readonly alive: () => boolean,
    private readonly path: string,
  ) {}

  write(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesWritten: number }> {
    const bytes = Buffer.from(buffer.subarray(offset, offset + length));
    const at = position ?? this.offset;
    if (position === null) this.offset += length;
    return this.disk.completeAfter(this.alive, this.disk.writeDelayMs(), () => {
      const file = this.disk.requireFile(this.path);
      const end = at + bytes.byteLength;
      if (end > file.written.byteLength) file.written = Buffer.concat([file.written, Buffer.alloc(end - file.written.byteLength)]);
      bytes.copy(file.written, at);
      return { bytesWritten: bytes.byteLength };
    });
  }

  read(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }> {
    const at = position ?? this.offset;
    return this.disk.completeAfter(this.alive, 0, () => {
      const source = this.disk.requireFile(this.path).written.subarray(at, at + length);
      buffer.set(source, offset);
      if (position === null) this.offset += source.byteLength;
      return { bytesRead: source.byteLength };
    });
  }

  datasync(): Promise<void> {
    return this.disk.completeAfter(this.alive, this.disk.fsyncDelayMs(), () => {
      const file = this.disk.requireFile(this.path);
      file.durable = Buffer.from(file.written);
    });
  }

  sync(): Promise<void> {
    return this.datasync();
  }

  truncate(length: number): Promise<void> {
    return this.disk.completeAfter(this.alive, this.disk.writeDelayMs(), () => {
      const file = this.disk.requireFile(this.path);
      file.written = Buffer.from(file.written.subarray(0, length));
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** An open directory: only its fsync (making its entries durable) is ever asked of it. */
class DirectoryHandle implements FileHandle {
  constructor(
    private readonly disk: SimulatedDisk,
    private readonly alive: () => boolean,
  ) {}

  write(): Promise<{ bytesWritten: number }> {
    return Promise.reject(fileError('EISDIR', 'a directory'));
  }

  read(): Promise<{ bytesRead: number }> {
    return Promise.reject(fileError('EISDIR', 'a directory'));
  }

  datasync(): Promise<void> {
    return this.disk.completeAfter(this.alive, this.disk.fsyncDelayMs(), () => undefined);
  }

  sync(): Promise<void> {
    return this.datasync();
  }

  truncate(): Promise<void> {
    return Promise.reject(fileError('EISDIR', 'a directory'));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function fileError(code: string, path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${path}`);
  error.code = code;
  return error;
}
