// The public API of the durable storage.
export { DurableLogStore } from './durable-log-store.js';
export type { DurableLogStoreOptions, DurableLogStoreStats } from './durable-log-store.js';
export { DurableStorageError, DurableStorageErrorCode, SnapshotChecksumError, StorageCorruptError } from './errors.js';
export { type FileHandle, type FileSystem, type OpenFlags, nodeFileSystem } from './file-system.js';
