// State-machine snapshots received from the leader. The stream is written to
// raft/snapshots/<term>-<index>.mvcc (and synced) before Raft sees the snapshot message, so
// that once the log store has applied the snapshot the state it stands for is on disk: if the
// node dies before the MVCC store is restored from it, the restart restores it. With
// encryption at rest the file is a sealed stream (src/encryption/sealed-stream.ts).

import { join } from 'node:path';
import type { RecordCipher } from '../encryption/record-cipher.js';
import { openStream, sealStream } from '../encryption/sealed-stream.js';
import type { FileHandle, FileSystem } from '../storage/index.js';
import type { DataDirLayout } from './data-dir.js';
import { NodeError } from './errors.js';

const RECEIVED_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.mvcc$/;
const HEX_DIGITS = 16;
const READ_CHUNK_BYTES = 1024 * 1024;

export function receivedSnapshotPath(layout: DataDirLayout, term: number, index: number): string {
  const hex = (value: number): string => value.toString(16).padStart(HEX_DIGITS, '0');
  return join(layout.snapshots, `${hex(term)}-${hex(index)}.mvcc`);
}

/** Consumes the stream into its file; resolves once the file is durable under its final name. */
export async function persistReceivedSnapshot(fileSystem: FileSystem, path: string, chunks: AsyncIterable<Uint8Array>, cipher: RecordCipher): Promise<void> {
  const temporary = `${path}.tmp`;
  const handle = await fileSystem.open(temporary, 'w');
  try {
    for await (const chunk of sealStream(chunks, cipher)) await handle.write(chunk, 0, chunk.byteLength, null);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fileSystem.unlink(temporary).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await fileSystem.rename(temporary, path);
}

/** The file's contents as a stream (opened if sealed), or NODE_SNAPSHOT_MISSING when it is not there. */
export function readReceivedSnapshot(fileSystem: FileSystem, path: string, cipher: RecordCipher): AsyncIterable<Uint8Array> {
  return openStream(readFileChunks(fileSystem, path), cipher, `the received snapshot ${path}`);
}

/** The file's bytes in chunks of at most a MiB, or NODE_SNAPSHOT_MISSING when it is not there. */
export async function* readFileChunks(fileSystem: FileSystem, path: string): AsyncIterable<Uint8Array> {
  let handle: FileHandle;
  try {
    handle = await fileSystem.open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NodeError('NODE_SNAPSHOT_MISSING', { path });
    throw error;
  }
  try {
    for (;;) {
      const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      const { bytesRead } = await handle.read(chunk, 0, chunk.byteLength, null);
      if (bytesRead === 0) return;
      yield chunk.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** Deletes received snapshots at or below `index` (restored or superseded) and unfinished ones. */
export async function removeReceivedSnapshots(fileSystem: FileSystem, layout: DataDirLayout, index: number): Promise<void> {
  for (const name of await fileSystem.readdir(layout.snapshots)) {
    const match = RECEIVED_NAME.exec(name);
    const obsolete = match !== null ? Number.parseInt(match[2]!, 16) <= index : name.endsWith('.mvcc.tmp');
    if (obsolete) await fileSystem.unlink(join(layout.snapshots, name)).catch(() => undefined);
  }
}
