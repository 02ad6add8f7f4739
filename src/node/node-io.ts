// Everything a node takes from the world outside its own memory: time, timers, files, the
// MVCC database, the data directory's lock and randomness. Production runs on systemIo; the seeded simulator passes a
// virtual clock, a disk whose fsyncs stall and whose unsynced bytes a crash loses, an
// in-memory database and a seeded source, so that one seed replays a run exactly.

import { randomInt } from 'node:crypto';
import { type Database, openDatabase } from '../mvcc/index.js';
import { type FileSystem, nodeFileSystem } from '../storage/index.js';
import { lockUntilExit, type ProcessLockAttempt } from './process-lock.js';

export interface NodeClock {
  /**
   * Milliseconds on a clock that never jumps; only differences between readings mean anything.
   * Deadlines and lease expiry read it, so that a wall clock stepped by NTP or an operator
   * neither expires a lease early nor times out every pending request at once.
   */
  monotonicNowMs(): number;
  /** Wall-clock milliseconds, only for the timestamps stored with a key. */
  wallClockMs(): number;
  /** Calls `callback` every `intervalMs` until the returned function is called. */
  repeat(intervalMs: number, callback: () => void): () => void;
  /** Calls `callback` once, after the I/O and timers that are already due (setImmediate). */
  soon(callback: () => void): void;
}

export interface NodeIo {
  readonly clock: NodeClock;
  readonly fileSystem: FileSystem;
  /** Opens (or creates) the MVCC database at `location`. */
  openDatabase(location: string): Promise<Database>;
  /**
   * Locks `directory` (creating it) for this process until release() or until the process
   * dies, however it dies; the simulator's crash releases it too. A lock already held, here or
   * by another process, is not taken: the answer names the holder's pid where it is known.
   */
  lockUntilExit(directory: string): Promise<ProcessLockAttempt>;
  /** An integer in [minimum, maximum), unpredictable across restarts (request and restore ids). */
  randomInt(minimum: number, maximum: number): number;
}

const systemClock: NodeClock = {
  monotonicNowMs: () => performance.now(),
  wallClockMs: () => Date.now(),
  repeat: (intervalMs, callback) => {
    const timer = setInterval(callback, intervalMs);
    return () => clearInterval(timer);
  },
  soon: (callback) => {
    setImmediate(callback);
  },
};

export const systemIo: NodeIo = {
  clock: systemClock,
  fileSystem: nodeFileSystem,
  openDatabase: (location) => openDatabase(location),
  lockUntilExit,
  randomInt: (minimum, maximum) => randomInt(minimum, maximum),
};
