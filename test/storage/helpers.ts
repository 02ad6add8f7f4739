// Temporary data directories for the storage tests, removed after each test, and small
// helpers to open, reopen and damage a store's files.

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { DurableLogStoreOptions } from '../../src/storage/index.js';
import { DurableLogStore } from '../../src/storage/index.js';
import type { Entry } from '../../src/raft/index.js';
import { EntryType, groupId, logIndex, term } from '../../src/raft/index.js';

const directories: string[] = [];
const openStores = new Set<DurableLogStore>();
const storeDirectories = new WeakMap<DurableLogStore, string>();

/** Registers the cleanup hook in the calling test file. */
export function useTemporaryDirectories(): void {
  afterEach(async () => {
    for (const store of openStores) await store.close().catch(() => undefined);
    openStores.clear();
    for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
  });
}

export async function temporaryDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'bvault-storage-'));
  directories.push(directory);
  return directory;
}

export const GROUP = groupId(0);

export async function openStore(directory: string, options: Partial<DurableLogStoreOptions> = {}): Promise<DurableLogStore> {
  const store = await DurableLogStore.open(directory, { groupId: GROUP, ...options });
  openStores.add(store);
  storeDirectories.set(store, directory);
  return store;
}

export async function reopenStore(store: DurableLogStore, options: Partial<DurableLogStoreOptions> = {}): Promise<DurableLogStore> {
  const directory = storeDirectories.get(store);
  if (directory === undefined) throw new Error('reopenStore: the store was not opened through openStore');
  await store.close();
  openStores.delete(store);
  return openStore(directory, options);
}

export const logsDirectory = (dataDirectory: string): string => join(dataDirectory, 'raft', 'logs');
export const snapshotsDirectory = (dataDirectory: string): string => join(dataDirectory, 'raft', 'snapshots');

/** Full paths of the WAL segments, oldest first. */
export async function segmentPaths(dataDirectory: string): Promise<string[]> {
  const names = (await readdir(logsDirectory(dataDirectory))).filter((name) => name.endsWith('.wal')).sort();
  return names.map((name) => join(logsDirectory(dataDirectory), name));
}

/** An entry whose data names it, so a replaced entry is told apart from the original. */
export function entry(index: number, entryTerm: number, data = `entry ${index} of term ${entryTerm}`): Entry {
  return { index: logIndex(index), term: term(entryTerm), type: EntryType.Normal, data: new TextEncoder().encode(data) };
}

/** Entries as plain comparable values: typed arrays of different classes compare by their text. */
export function shapeOf(entries: readonly Entry[]): { index: number; term: number; data: string }[] {
  return entries.map((e) => ({ index: e.index, term: e.term, data: new TextDecoder().decode(e.data) }));
}
