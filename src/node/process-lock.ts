// A lock that the kernel releases when the process holding it dies, however it dies: LevelDB
// takes an fcntl lock on the LOCK file of every database it opens (as etcd and LevelDB itself
// do), and classic-level ships LevelDB prebuilt, so opening a small database of our own is a
// kernel lock without a native addon of our own. A pid in a file, checked with kill(pid, 0),
// refused a restart while a killed owner was not yet reaped, and a reused pid or a new pid
// namespace could refuse or admit wrongly; an fcntl lock has none of these failures.
// Within one process the lock is kept in a set: fcntl locks belong to the process, and LevelDB,
// refusing a second open of a database it holds, closes the LOCK file it opened to try, which
// drops the process's fcntl lock on it (POSIX drops them on any close).

import { mkdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';

export interface ProcessLock {
  release(): Promise<void>;
}

/** The lock, or the pid of the process that holds it when the system says (Linux's /proc/locks). */
export type ProcessLockAttempt = { readonly lock: ProcessLock } | { readonly holderPid: number | undefined };

/** Real paths of the directories this process holds locked. */
const heldInProcess = new Set<string>();

/** Creates `directory` and locks it until release() or until this process ends. */
export async function lockUntilExit(directory: string): Promise<ProcessLockAttempt> {
  await mkdir(directory, { recursive: true });
  const path = await realpath(directory);
  if (heldInProcess.has(path)) return { holderPid: process.pid };
  heldInProcess.add(path);
  const database = new ClassicLevel(path);
  try {
    await database.open();
  } catch (error) {
    heldInProcess.delete(path);
    if ((error as { cause?: { code?: unknown } }).cause?.code !== 'LEVEL_LOCKED') throw error;
    return { holderPid: await lockHolderPid(join(path, 'LOCK')) };
  }
  const release = async (): Promise<void> => {
    await database.close();
    heldInProcess.delete(path);
  };
  return { lock: { release } };
}

/**
 * /proc/locks names each lock's owner and file as `1: POSIX ADVISORY WRITE <pid> <major>:<minor>:<inode> 0 EOF`
 * (major and minor in hex); lines with `->` are waiters, not holders. Undefined where there is
 * no /proc/locks or the holder is in a pid namespace this process cannot see.
 */
async function lockHolderPid(lockFile: string): Promise<number | undefined> {
  try {
    const [file, locks] = await Promise.all([stat(lockFile, { bigint: true }), readFile('/proc/locks', 'utf8')]);
    const wanted = `${hex(deviceMajor(file.dev))}:${hex(deviceMinor(file.dev))}:${file.ino}`;
    for (const line of locks.split('\n')) {
      const fields = line.trim().split(/\s+/);
      if (fields[1] === '->' || fields[5] !== wanted) continue;
      const pid = Number.parseInt(fields[4] ?? '', 10);
      return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
    }
  } catch {
    // Where the holder cannot be found out, the refusal just does not name it.
  }
  return undefined;
}

/** glibc's encoding of dev_t (gnu_dev_major and gnu_dev_minor). */
function deviceMajor(device: bigint): bigint {
  return ((device >> 8n) & 0xfffn) | ((device >> 32n) & ~0xfffn);
}

function deviceMinor(device: bigint): bigint {
  return (device & 0xffn) | ((device >> 12n) & ~0xffn);
}

function hex(value: bigint): string {
  return value.toString(16).padStart(2, '0');
}
