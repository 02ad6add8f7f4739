// What a restart finds on disk: a torn tail is cut away, anything else damaged stops the open
// with an error that names the file and the byte offset.

import { appendFile, readFile, readdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../../src/raft/index.js';
import { DurableStorageErrorCode, SnapshotChecksumError, StorageCorruptError } from '../../src/storage/index.js';
import { SnapshotFiles, SnapshotOrigin } from '../../src/storage/snapshot-files.js';
import { nodeFileSystem } from '../../src/storage/file-system.js';
import { RecordCipher } from '../../src/encryption/record-cipher.js';
import { WalRecordType, encodeWalRecord } from '../../src/storage/wal-record.js';
import { GROUP, entry, openStore, reopenStore, segmentPaths, shapeOf, snapshotsDirectory, temporaryDirectory, useTemporaryDirectories } from './helpers.js';

useTemporaryDirectories();

const UNLIMITED = Number.MAX_SAFE_INTEGER;
const THREE_ENTRIES = [entry(1, 1), entry(2, 1), entry(3, 2)];

/** A store holding entries 1..3, each in a record of its own, closed; returns its directory and only segment. */
async function closedStoreWithThreeRecords(): Promise<{ directory: string; segment: string }> {
  const directory = await temporaryDirectory();
  const store = await openStore(directory);
  for (const e of THREE_ENTRIES) await store.append([e]);
  await store.close();
  const [segment] = await segmentPaths(directory);
  return { directory, segment: segment! };
}

const recordBytes = (index: number): number => encodeWalRecord({ type: WalRecordType.Entries, entries: [entry(index, 1)] }, GROUP, RecordCipher.disabled).byteLength;

async function flipByte(path: string, offset: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[offset] = bytes[offset]! ^ 0xff;
  await writeFile(path, bytes);
}

async function openError(directory: string): Promise<unknown> {
  return openStore(directory).then(
    () => new Error('the store opened'),
    (error: unknown) => error,
  );
}

describe('a torn tail of the newest segment', () => {
  it('is cut away when garbage follows the last record; earlier entries survive and appends continue', async () => {
    const { directory, segment } = await closedStoreWithThreeRecords();
    const size = (await readFile(segment)).byteLength;
    await appendFile(segment, Buffer.from([0, 0, 0, 40, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x55, 0x55]));
    const store = await openStore(directory);
    expect(shapeOf(store.entries(logIndex(1), logIndex(4), UNLIMITED))).toEqual(shapeOf(THREE_ENTRIES));
    expect((await readFile(segment)).byteLength).toBe(size);
    await store.append([entry(4, 2)]);
    const reopened = await reopenStore(store);
    expect(shapeOf(reopened.entries(logIndex(1), logIndex(5), UNLIMITED))).toEqual(shapeOf([...THREE_ENTRIES, entry(4, 2)]));
  });

  it('is cut away when the last record lost its final bytes', async () => {
    const { directory, segment } = await closedStoreWithThreeRecords();
    const size = (await readFile(segment)).byteLength;
    await truncate(segment, size - 3);
    const store = await openStore(directory);
    expect(store.lastIndex()).toBe(2);
    expect(shapeOf(store.entries(logIndex(1), logIndex(3), UNLIMITED))).toEqual(shapeOf(THREE_ENTRIES.slice(0, 2)));
  });

  it('is cut away when the last record fails its CRC and nothing intact follows', async () => {
    const { directory, segment } = await closedStoreWithThreeRecords();
    const size = (await readFile(segment)).byteLength;
    await flipByte(segment, size - recordBytes(3) + 20);
    const store = await openStore(directory);
    expect(store.lastIndex()).toBe(2);
  });
});

describe('damage anywhere else refuses the open', () => {
  it('names the file and offset of a CRC mismatch that intact records follow', async () => {
    const { directory, segment } = await closedStoreWithThreeRecords();
    const size = (await readFile(segment)).byteLength;
    const secondRecordAt = size - recordBytes(3) - recordBytes(2);
    await flipByte(segment, secondRecordAt + 20);
    const error = await openError(directory);
    expect(error).toBeInstanceOf(StorageCorruptError);
    expect((error as StorageCorruptError).code).toBe(DurableStorageErrorCode.Corrupt);
    expect((error as Error).message).toContain(`${segment} is corrupt at byte offset ${secondRecordAt}`);
    expect((error as Error).message).toContain('an intact record follows');
  });

  it('refuses a damaged length field in the middle of the segment', async () => {
    const { directory, segment } = await closedStoreWithThreeRecords();
    const size = (await readFile(segment)).byteLength;
    const secondRecordAt = size - recordBytes(3) - recordBytes(2);
    await flipByte(segment, secondRecordAt);
    expect(await openError(directory)).toBeInstanceOf(StorageCorruptError);
  });

  it('refuses damage at the end of a segment that is not the newest', async () => {
    const directory = await temporaryDirectory();
    const store = await openStore(directory, { segmentBytesMax: 256 });
    for (let i = 1; i <= 10; i++) await store.append([entry(i, 1, 'x'.repeat(100))]);
    await store.close();
    const segments = await segmentPaths(directory);
    expect(segments.length).toBeGreaterThan(2);
    const older = segments[0]!;
    const olderSize = (await readFile(older)).byteLength;
    await flipByte(older, olderSize - 2);
    const error = await openError(directory);
    expect(error).toBeInstanceOf(StorageCorruptError);
    expect((error as Error).message).toMatch(new RegExp(`${older} is corrupt at byte offset \\d+: CRC mismatch .* not the newest`));
  });

  it('refuses a record of an unknown type even when its CRC is valid', async () => {
    const { directory, segment } = await closedStoreWithThreeRecords();
    const size = (await readFile(segment)).byteLength;
    const record = encodeWalRecord({ type: WalRecordType.HardState, hardState: { term: term(1), vote: nodeId(1), commit: logIndex(1) } }, GROUP, RecordCipher.disabled);
    record[4] = 9;
    const { crc32 } = await import('node:zlib');
    record.writeUInt32BE(crc32(record.subarray(0, record.byteLength - 4)), record.byteLength - 4);
    await appendFile(segment, record);
    const error = await openError(directory);
    expect((error as Error).message).toContain(`${segment} is corrupt at byte offset ${size}: unknown record type 9`);
  });

  it('refuses a record of another Raft group in the log, and a data directory of another group', async () => {
    const { directory, segment } = await closedStoreWithThreeRecords();
    const size = (await readFile(segment)).byteLength;
    await appendFile(segment, encodeWalRecord({ type: WalRecordType.Entries, entries: [entry(4, 1)] }, 3 as typeof GROUP, RecordCipher.disabled));
    expect(((await openError(directory)) as Error).message).toContain(
      `${segment} is corrupt at byte offset ${size}: record of Raft group 3 in the log of group 0`,
    );
    const other = await openStore(directory, { groupId: 5 as typeof GROUP }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(other).toBeInstanceOf(StorageCorruptError);
    expect((other as Error).message).toContain('snapshot of Raft group 0, expected 5');
  });

  it('refuses a log whose middle segment is missing', async () => {
    const directory = await temporaryDirectory();
    const store = await openStore(directory, { segmentBytesMax: 256 });
    for (let i = 1; i <= 10; i++) await store.append([entry(i, 1, 'x'.repeat(100))]);
    await store.close();
    const segments = await segmentPaths(directory);
    const { unlink } = await import('node:fs/promises');
    await unlink(segments[1]!);
    expect(((await openError(directory)) as Error).message).toMatch(/segment 2 before it is missing/);
  });
});

describe('snapshot files', () => {
  it('refuse the open when the newest fails its checksum, naming the file, without falling back', async () => {
    const directory = await temporaryDirectory();
    const store = await openStore(directory);
    await store.append(THREE_ENTRIES);
    await store.createSnapshot(logIndex(2), store.initialState().confState, new TextEncoder().encode('state at 2'));
    await store.close();
    const files = (await readdir(snapshotsDirectory(directory))).sort();
    expect(files).toHaveLength(2); // the initial snapshot at 0 is still there to fall back to
    const newest = join(snapshotsDirectory(directory), files[1]!);
    await flipByte(newest, 30);
    const error = await openError(directory);
    expect(error).toBeInstanceOf(SnapshotChecksumError);
    expect((error as SnapshotChecksumError).code).toBe(DurableStorageErrorCode.SnapshotChecksum);
    expect((error as Error).message).toContain(`snapshot ${newest} fails its checksum`);
  });

  it('keep only the newest ones within the retention limit', async () => {
    const directory = await temporaryDirectory();
    const store = await openStore(directory, { snapshotsRetainedMax: 2 });
    await store.append(THREE_ENTRIES);
    for (const index of [1, 2, 3]) await store.createSnapshot(logIndex(index), store.initialState().confState, new Uint8Array([index]));
    expect((await readdir(snapshotsDirectory(directory))).sort()).toEqual([
      '0000000000000001-0000000000000002.snap',
      '0000000000000002-0000000000000003.snap',
    ]);
  });

  it('replace the log on open when a snapshot from a leader was saved but its log marker was not', async () => {
    const directory = await temporaryDirectory();
    const store = await openStore(directory);
    await store.append(THREE_ENTRIES);
    await store.close();
    // The crash came between the snapshot file and the WAL marker of applySnapshot.
    const confState = { voters: [nodeId(1)], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
    const stats = { fsyncs: 0, bytesWritten: 0 };
    const files = new SnapshotFiles(snapshotsDirectory(directory), { group: GROUP, snapshotsRetainedMax: 2, cipher: RecordCipher.disabled }, { fileSystem: nodeFileSystem, stats });
    await files.write({ metadata: { index: logIndex(10), term: term(4), confState }, data: new TextEncoder().encode('state at 10') }, SnapshotOrigin.Applied);
    const reopened = await openStore(directory);
    expect({ first: reopened.firstIndex(), last: reopened.lastIndex(), originTerm: reopened.term(logIndex(10)) }).toEqual({ first: 11, last: 10, originTerm: 4 });
    expect(reopened.initialState().confState).toEqual(confState);
    await reopened.append([entry(11, 4)]);
    const again = await reopenStore(reopened);
    expect(shapeOf(again.entries(logIndex(11), logIndex(12), UNLIMITED))).toEqual(shapeOf([entry(11, 4)]));
  });
});
