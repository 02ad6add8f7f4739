// The data directory of one node: metadata/ holds the identity and the lock, raft/ the log
// (DurableLogStore), keyvalue/ the MVCC database. The lock keeps a second process (or a second
// node in this process) off a directory that is in use; the kernel releases it when its holder
// dies, so a member killed with kill -9 can be restarted at once.

import { join } from 'node:path';
import type { FileSystem } from '../storage/index.js';
import { NodeError } from './errors.js';
import type { NodeIo } from './node-io.js';
import type { ProcessLock } from './process-lock.js';

export interface DataDirLayout {
  readonly root: string;
  readonly metadata: string;
  readonly keyvalue: string;
  /** Where the log keeps snapshot files; received state-machine snapshots go beside them. */
  readonly snapshots: string;
}

export interface NodeIdentity {
  readonly formatVersion: number;
  readonly name: string;
  readonly memberId: number;
  readonly clusterId: string;
}

const IDENTITY_FORMAT_VERSION = 1;
const IDENTITY_FILE = 'identity.json';
/** A small LevelDB whose LOCK file the kernel holds for the running member (process-lock.ts). */
const PROCESS_LOCK_DIRECTORY = 'process-lock';
/** Where earlier versions wrote the owner's pid; a file left by a killed process is removed. */
const LEGACY_PID_LOCK_FILE = 'lock';

export function dataDirLayout(root: string): DataDirLayout {
  return { root, metadata: join(root, 'metadata'), keyvalue: join(root, 'keyvalue'), snapshots: join(root, 'raft', 'snapshots') };
}

export class DataDirLock {
  private released = false;

  private constructor(private readonly lock: ProcessLock) {}

  /** Creates metadata/ if needed and takes its lock, or throws NODE_DATA_DIR_LOCKED naming the holder if known. */
  static async acquire(io: NodeIo, layout: DataDirLayout): Promise<DataDirLock> {
    await io.fileSystem.mkdir(layout.metadata, { recursive: true });
    const attempt = await io.lockUntilExit(join(layout.metadata, PROCESS_LOCK_DIRECTORY));
    if (!('lock' in attempt)) {
      const holder = attempt.holderPid === undefined ? 'another process' : `process ${attempt.holderPid}`;
      throw new NodeError('NODE_DATA_DIR_LOCKED', { path: layout.root, holder });
    }
    // Only the kernel lock says whether the directory is in use; the old pid file says nothing.
    await io.fileSystem.rm(join(layout.metadata, LEGACY_PID_LOCK_FILE), { force: true });
    return new DataDirLock(attempt.lock);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.lock.release();
  }
}

/**
 * Returns the stored identity after checking it against the configured one, or stores the
 * configured one in a fresh directory.
 */
export async function loadOrCreateIdentity(
  fileSystem: FileSystem,
  layout: DataDirLayout,
  expected: { readonly name: string; readonly memberId: number; readonly clusterId: string },
): Promise<NodeIdentity> {
  const path = join(layout.metadata, IDENTITY_FILE);
  const stored = await readIdentity(fileSystem, path);
  if (stored === undefined) {
    const identity = { formatVersion: IDENTITY_FORMAT_VERSION, name: expected.name, memberId: expected.memberId, clusterId: expected.clusterId };
    await writeIdentity(fileSystem, path, identity);
    return identity;
  }
  if (stored.name !== expected.name) throw new NodeError('NODE_IDENTITY_MISMATCH', { path: layout.root, stored: stored.name, configured: expected.name });
  if (stored.clusterId !== expected.clusterId) {
    throw new NodeError('NODE_CLUSTER_MISMATCH', { path: layout.root, stored: stored.clusterId, configured: expected.clusterId });
  }
  return stored;
}

async function readIdentity(fileSystem: FileSystem, path: string): Promise<NodeIdentity | undefined> {
  let text: string;
  try {
    text = (await fileSystem.readFile(path)).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = parseIdentity(text);
  if (typeof parsed === 'string') throw new NodeError('NODE_IDENTITY_INVALID', { path, reason: parsed });
  return parsed;
}

function parseIdentity(text: string): NodeIdentity | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'it is not JSON';
  }
  const identity = value as Partial<NodeIdentity>;
  if (identity.formatVersion !== IDENTITY_FORMAT_VERSION) return `unknown format version ${String(identity.formatVersion)}`;
  if (typeof identity.name !== 'string' || typeof identity.clusterId !== 'string' || typeof identity.memberId !== 'number') {
    return 'name, clusterId or memberId is missing';
  }
  return identity as NodeIdentity;
}

/** Writes a temporary file, syncs it and renames it, so a crash leaves the old or the new identity. */
async function writeIdentity(fileSystem: FileSystem, path: string, identity: NodeIdentity): Promise<void> {
  const temporary = `${path}.tmp`;
  const handle = await fileSystem.open(temporary, 'w');
  try {
    const text = Buffer.from(`${JSON.stringify(identity, null, 2)}\n`);
    await handle.write(text, 0, text.byteLength, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fileSystem.rename(temporary, path);
  const directory = await fileSystem.open(join(path, '..'), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
