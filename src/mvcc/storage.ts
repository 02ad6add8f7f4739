// Storage access for the state machine. `StorageReader` is what range, txn and compaction
// code reads through: either the database itself (optionally at a LevelDB snapshot), or a
// WriteBuffer that overlays one apply batch's uncommitted changes on the database, so later
// requests in a batch see the effects of earlier ones before the single batch write.
//
// Point reads come in two kinds. `getMany` is what reads served to clients use: LevelDB runs
// it on libuv's thread pool, so a read that waits for the disk (a cold cache over millions of
// keys) does not hold the event loop, and with it Raft's ticks and heartbeats; all its keys
// are read at one point in time. `get` reads on the calling thread: apply uses it (through
// the WriteBuffer), because an apply batch reads the keys it is about to write, which are
// mostly in LevelDB's caches, and a put must not pay a round trip to the pool for each.
// The database is LevelDB (classic-level) in production; the simulator passes an in-memory
// database with the same abstract-level API, which replays deterministically.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';

/** A point-in-time view of the database, held until closed. */
export interface DatabaseSnapshot {
  close(): Promise<void>;
}

export interface DatabaseBatch {
  put(key: Buffer, value: Buffer): DatabaseBatch;
  del(key: Buffer): DatabaseBatch;
  write(): Promise<void>;
  /** Discards a batch not written; a no-op after write. */
  close(): Promise<void>;
}

export type DatabaseOperation = { readonly type: 'put'; readonly key: Buffer; readonly value: Buffer } | { readonly type: 'del'; readonly key: Buffer };

export interface DatabaseIterator extends AsyncIterable<[Buffer, Buffer]> {
  nextv(size: number): Promise<Array<[Buffer, Buffer]>>;
  all(): Promise<Array<[Buffer, Buffer]>>;
  close(): Promise<void>;
}

export interface IteratorRange {
  readonly gte?: Buffer;
  readonly lt?: Buffer;
  readonly lte?: Buffer;
  readonly limit?: number;
  readonly values?: boolean;
  readonly snapshot?: DatabaseSnapshot;
}

/** The part of the LevelDB (abstract-level) API the store uses, and the space the database takes up. */
export interface Database {
  getSync(key: Buffer, options?: { readonly snapshot?: DatabaseSnapshot }): Buffer | undefined;
  /** Reads every key at one point in time (the snapshot's, or the call's), off the calling thread. */
  getMany(keys: Buffer[], options?: { readonly snapshot?: DatabaseSnapshot }): Promise<Array<Buffer | undefined>>;
  batch(): DatabaseBatch;
  batch(operations: DatabaseOperation[]): Promise<void>;
  iterator(range: IteratorRange): DatabaseIterator;
  snapshot(): DatabaseSnapshot;
  clear(range: { readonly gte: Buffer; readonly lt: Buffer }): Promise<void>;
  compactRange(start: Buffer, end: Buffer): Promise<void>;
  close(): Promise<void>;
  /** Bytes on disk, the database's write-ahead log included: what etcd calls the backend size, and what the quota limits. */
  sizeBytes(): Promise<number>;
}
export type Entry = readonly [key: Buffer, value: Buffer];
export interface KeyBounds {
  readonly gte: Buffer;
  readonly lt: Buffer;
}

const PAGE_ENTRIES = 256;
/** Key-only pages (counting) are cheap per entry, so they can be larger. */
const KEY_PAGE_ENTRIES = 4096;
const EMPTY = Buffer.alloc(0);

export interface StorageReader {
  /** Blocks the calling thread until the value is read: for apply only (see above). */
  get(key: Buffer): Buffer | undefined;
  /** The values of `keys`, in order, all as of one point in time; for reads served to clients. */
  getMany(keys: Buffer[]): Promise<Array<Buffer | undefined>>;
  /** Entries in key order, in pages so that callers pay one await per page, not per entry. */
  pages(bounds: KeyBounds, values?: boolean): AsyncIterable<ReadonlyArray<Entry>>;
}

export interface DatabaseTuning {
  /** LevelDB block cache; bounded so resident memory stays predictable with millions of keys. */
  readonly cacheBytes?: number;
  readonly writeBufferBytes?: number;
  readonly maxOpenFiles?: number;
}

/** Opens the keyvalue/ database with buffer keys and values, as the store requires. */
export async function openDatabase(location: string, tuning: DatabaseTuning = {}): Promise<Database> {
  const db = new LevelDatabase(location, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
    cacheSize: tuning.cacheBytes ?? 32 * 1024 * 1024,
    writeBufferSize: tuning.writeBufferBytes ?? 16 * 1024 * 1024,
    maxOpenFiles: tuning.maxOpenFiles ?? 500,
    maxFileSize: 8 * 1024 * 1024,
  });
  await db.open();
  return db;
}

class LevelDatabase extends ClassicLevel<Buffer, Buffer> implements Database {
  /**
   * The size of the directory. LevelDB's approximateSize counts table files only, so writes
   * still in the memtable (up to the write buffer) would go unseen and a quota could be overrun.
   */
  async sizeBytes(): Promise<number> {
    const names = await readdir(this.location);
    // LevelDB deletes files as it compacts: one gone since readdir no longer counts.
    const sizes = await Promise.all(names.map((name) => stat(join(this.location, name)).then((file) => file.size, () => 0)));
    return sizes.reduce((total, size) => total + size, 0);
  }
}


export class DatabaseReader implements StorageReader {
  constructor(
    private readonly db: Database,
    private readonly snapshot?: DatabaseSnapshot,
  ) {}

  get(key: Buffer): Buffer | undefined {
    return this.snapshot === undefined ? this.db.getSync(key) : this.db.getSync(key, { snapshot: this.snapshot });
  }

  getMany(keys: Buffer[]): Promise<Array<Buffer | undefined>> {
    return this.snapshot === undefined ? this.db.getMany(keys) : this.db.getMany(keys, { snapshot: this.snapshot });
  }

  async *pages(bounds: KeyBounds, values = true): AsyncIterable<ReadonlyArray<Entry>> {
    const iterator = this.db.iterator({ gte: bounds.gte, lt: bounds.lt, values, ...(this.snapshot === undefined ? {} : { snapshot: this.snapshot }) });
    try {
      for (;;) {
        const page = await iterator.nextv(values ? PAGE_ENTRIES : KEY_PAGE_ENTRIES);
        if (page.length === 0) return;
        yield values ? (page as Entry[]) : page.map(([key]) => [key, EMPTY] as const);
      }
    } finally {
      await iterator.close();
    }
  }
}

/** Runs `read` against a consistent point-in-time view, releasing the snapshot afterwards. */
export async function withSnapshot<T>(db: Database, read: (reader: DatabaseReader) => Promise<T>): Promise<T> {
  const snapshot = db.snapshot();
  try {
    return await read(new DatabaseReader(db, snapshot));
  } finally {
    await snapshot.close();
  }
}

interface Change {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/**
 * The changes of one apply batch over the database. `mark`/`rollback` undo a failed
 * request's writes so that each request in a batch succeeds or fails on its own.
 */
export class WriteBuffer implements StorageReader {
  private readonly changes = new Map<string, Change>();
  private readonly undo: Array<readonly [string, Change | undefined]> = [];

  constructor(private readonly base: StorageReader) {}

  get size(): number {
    return this.changes.size;
  }

  get(key: Buffer): Buffer | undefined {
    const change = this.changes.get(key.toString('latin1'));
    if (change !== undefined) return change.value ?? undefined;
    return this.base.get(key);
  }

  /**
   * Reads on the calling thread, like get: the buffer serves apply, which reads the keys it
   * writes (see the top of this file). The promise keeps the shared range and txn code one
   * code path for apply and for reads served to clients.
   */
  getMany(keys: Buffer[]): Promise<Array<Buffer | undefined>> {
    return Promise.resolve(keys.map((key) => this.get(key)));
  }

  put(key: Buffer, value: Buffer): void {
    this.record(key, value);
  }

  del(key: Buffer): void {
    this.record(key, null);
  }

  mark(): number {
    return this.undo.length;
  }

  rollback(mark: number): void {
    while (this.undo.length > mark) {
      const [id, previous] = this.undo.pop() as readonly [string, Change | undefined];
      if (previous === undefined) this.changes.delete(id);
      else this.changes.set(id, previous);
    }
  }

  /** Writes every change in one atomic LevelDB batch and empties the buffer. */
  async commit(db: Database): Promise<void> {
    const batch = db.batch();
    for (const change of this.changes.values()) {
      if (change.value === null) batch.del(change.key);
      else batch.put(change.key, change.value);
    }
    await batch.write();
    this.changes.clear();
    this.undo.length = 0;
  }

  async *pages(bounds: KeyBounds, values = true): AsyncIterable<ReadonlyArray<Entry>> {
    const pending = this.changesWithin(bounds);
    let next = 0;
    for await (const page of this.base.pages(bounds, values)) {
      const out: Entry[] = [];
      for (const entry of page) {
        while (next < pending.length && Buffer.compare((pending[next] as Change).key, entry[0]) < 0) pushChange(out, pending[next++] as Change);
        const same = pending[next];
        if (same !== undefined && same.key.equals(entry[0])) {
          pushChange(out, same);
          next++;
        } else {
          out.push(entry);
        }
      }
      if (out.length > 0) yield out;
    }
    const rest: Entry[] = [];
    while (next < pending.length) pushChange(rest, pending[next++] as Change);
    if (rest.length > 0) yield rest;
  }

  private changesWithin(bounds: KeyBounds): Change[] {
    const within: Change[] = [];
    for (const change of this.changes.values()) {
      if (Buffer.compare(change.key, bounds.gte) >= 0 && Buffer.compare(change.key, bounds.lt) < 0) within.push(change);
    }
    return within.sort((a, b) => Buffer.compare(a.key, b.key));
  }

  private record(key: Buffer, value: Buffer | null): void {
    const id = key.toString('latin1');
    this.undo.push([id, this.changes.get(id)]);
    this.changes.set(id, { key, value });
  }
}

function pushChange(out: Entry[], change: Change): void {
  if (change.value !== null) out.push([change.key, change.value]);
}
