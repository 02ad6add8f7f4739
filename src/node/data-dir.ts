// The data directory of one node: metadata/ holds the identity and the lock
// file, raft/ the log (DurableLogStore), keyvalue/ the MVCC database. The lock keeps a second
// process (or a second node in this process) off a directory that is in use; a lock left by a
// process that died (kill -9) is taken over, since its owner can no longer write.

import { join } from 'node:path';
import type { FileSystem } from '../storage/index.js';
import { NodeError } from './errors.js';

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
const LOCK_FILE = 'lock';

/**
 * Lock files held by this process, per file system: a second node here must be refused too,
 * though its pid is alive. A simulated crash drops its disk's file system and its locks with it.
 */
const locksHeldInProcess = new WeakMap<FileSystem, Set<string>>();

export function dataDirLayout(root: string): DataDirLayout {
  return { root, metadata: join(root, 'metadata'), keyvalue: join(root, 'keyvalue'), snapshots: join(root, 'raft', 'snapshots') };
}

export class DataDirLock {
  private released = false;

  private constructor(
    private readonly fileSystem: FileSystem,
    private readonly path: string,
  ) {}

  /** Creates metadata/ if needed and takes its lock, or throws NODE_DATA_DIR_LOCKED. */
  static async acquire(fileSystem: FileSystem, layout: DataDirLayout): Promise<DataDirLock> {
    await fileSystem.mkdir(layout.metadata, { recursive: true });
    const path = join(layout.metadata, LOCK_FILE);
    const held = locksHeldInProcess.get(fileSystem) ?? new Set<string>();
    if (held.has(path)) throw new NodeError('NODE_DATA_DIR_LOCKED', { path: layout.root, pid: process.pid });
    if (!(await tryCreateLock(fileSystem, path))) {
      const owner = await lockOwner(fileSystem, path);
      if (owner !== undefined && owner !== process.pid && processIsAlive(owner)) {
        throw new NodeError('NODE_DATA_DIR_LOCKED', { path: layout.root, pid: owner });
      }
      // The owner died without releasing the lock: take it over.
      await fileSystem.unlink(path).catch(() => undefined);
      if (!(await tryCreateLock(fileSystem, path))) throw new NodeError('NODE_DATA_DIR_LOCKED', { path: layout.root, pid: 'unknown' });
    }
    held.add(path);
    locksHeldInProcess.set(fileSystem, held);
    return new DataDirLock(fileSystem, path);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    locksHeldInProcess.get(this.fileSystem)?.delete(this.path);
    await this.fileSystem.unlink(this.path).catch(() => undefined);
  }
}

async function tryCreateLock(fileSystem: FileSystem, path: string): Promise<boolean> {
  try {
    const handle = await fileSystem.open(path, 'wx');
    try {
      const pid = Buffer.from(String(process.pid));
      await handle.write(pid, 0, pid.byteLength, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function lockOwner(fileSystem: FileSystem, path: string): Promise<number | undefined> {
  const text = await fileSystem.readFile(path).then((bytes) => bytes.toString('utf8'), () => '');
  const pid = Number.parseInt(text, 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
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
