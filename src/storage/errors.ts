// The durable storage's error registry. Each code is stable and never reused. Corruption and
// I/O failures stop the node: the operator must look at the named file before it runs again,
// because guessing past damaged data could lose acknowledged writes. (The contract's own
// conditions, Compacted and Unavailable, stay raft StorageErrors so the core can handle them.)

export const DurableStorageErrorCode = {
  /** A WAL segment is damaged somewhere other than a torn tail; the message names file and offset. */
  Corrupt: 'STORAGE_CORRUPT',
  /** A snapshot file's checksum does not match its contents; the message names the file. */
  SnapshotChecksum: 'STORAGE_SNAPSHOT_CHECKSUM',
  /** A write or fsync failed earlier; memory may be ahead of disk, so the store takes no more writes. */
  Failed: 'STORAGE_FAILED',
  /** The store was closed; open it again to use it. */
  Closed: 'STORAGE_CLOSED',
  /** The options given to open are out of range; the message lists every problem. */
  InvalidOptions: 'STORAGE_INVALID_OPTIONS',
} as const;

export type DurableStorageErrorCode = (typeof DurableStorageErrorCode)[keyof typeof DurableStorageErrorCode];

export class DurableStorageError extends Error {
  override readonly name: string = 'DurableStorageError';

  constructor(
    readonly code: DurableStorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Damage the store will not guess its way past. To recover, restore the node from a peer. */
export class StorageCorruptError extends DurableStorageError {
  override readonly name = 'StorageCorruptError';

  constructor(
    readonly file: string,
    readonly offset: number,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      DurableStorageErrorCode.Corrupt,
      `${file} is corrupt at byte offset ${offset}: ${reason}. The node must not start from this data; ` +
        'move the data directory aside and let the node catch up from its peers.',
      options,
    );
  }
}

export class SnapshotChecksumError extends DurableStorageError {
  override readonly name = 'SnapshotChecksumError';

  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(
      DurableStorageErrorCode.SnapshotChecksum,
      `snapshot ${file} fails its checksum (${reason}). Older snapshots are not used in its place; ` +
        'move the data directory aside and let the node catch up from its peers.',
    );
  }
}
