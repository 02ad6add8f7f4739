import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { logIndex, term } from '../../src/raft/index.js';
import { DurableStorageError, DurableStorageErrorCode } from '../../src/storage/index.js';
import { entry, openStore, snapshotsDirectory, temporaryDirectory, useTemporaryDirectories } from './helpers.js';

useTemporaryDirectories();

async function errorOf(promise: Promise<unknown>): Promise<DurableStorageError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DurableStorageError);
  return error as DurableStorageError;
}

describe('the store', () => {
  it('lists every invalid option at once', async () => {
    const error = await errorOf(openStore(await temporaryDirectory(), { segmentBytesMax: 10, snapshotsRetainedMax: 0 }));
    expect(error.code).toBe(DurableStorageErrorCode.InvalidOptions);
    expect(error.message).toContain('segmentBytesMax must be an integer from 256');
    expect(error.message).toContain('snapshotsRetainedMax must be an integer of at least 1, got 0');
  });

  it('refuses writes after close but still answers reads', async () => {
    const store = await openStore(await temporaryDirectory());
    await store.append([entry(1, 1)]);
    await store.close();
    expect((await errorOf(store.append([entry(2, 1)]))).code).toBe(DurableStorageErrorCode.Closed);
    expect(store.lastIndex()).toBe(1);
  });

  it('takes no more writes once a write failed, since memory may be ahead of disk', async () => {
    const directory = await temporaryDirectory();
    const store = await openStore(directory);
    await store.append([entry(1, 1)]);
    await rm(snapshotsDirectory(directory), { recursive: true });
    const snapshot = { metadata: { index: logIndex(5), term: term(2), confState: store.initialState().confState }, data: new Uint8Array() };
    await expect(store.applySnapshot(snapshot)).rejects.toThrow(/ENOENT/);
    const error = await errorOf(store.append([entry(6, 2)]));
    expect(error.code).toBe(DurableStorageErrorCode.Failed);
    expect(error.message).toContain('Restart the node');
  });
});
