// Encryption at rest for the MVCC database: a Database that seals the values able to hold a
// user's value (current and historical KeyValue records, staged restore chunks; see
// key-codec.ts) on every write and opens them on every read, so the store above it never
// sees ciphertext. Keys stay in the clear: LevelDB orders them for ranges.
//
// The database records which keys its values are sealed under, each with a check value
// sealed under that key (ENCRYPTION_KEYS_KEY, itself in the clear). Opening refuses a member
// whose key file lacks one of them, or holds a different key under the same id, before any
// read, naming the key id. A key joins the record before the first value is sealed under it.
// Values written before encryption was turned on stay readable in the clear; new ones are
// sealed.
//
// Rotation (resealAll) rewrites, in bounded batches, every value not sealed under the newest
// key. Each batch rereads its values and writes them back as one step of a queue every write
// of the database goes through, so it never overwrites a value that apply, compaction or a
// restore changed after the batch read it.

import { EncryptionError } from '../encryption/errors.js';
import { isSealed, type RecordCipher, sealedKeyId } from '../encryption/record-cipher.js';
import { ENCRYPTION_KEYS_KEY, holdsUserValue } from './key-codec.js';
import type { Database, DatabaseBatch, DatabaseIterator, DatabaseOperation, DatabaseSnapshot, IteratorRange } from './storage.js';

const KEY_CHECK_PLAINTEXT = Buffer.from('beaver-vault encryption key check', 'ascii');
/** Keys read per rotation batch: small enough that apply waits little behind one batch. */
export const RESEAL_BATCH_KEYS_MAX = 1024;
const NEXT_KEY_SUFFIX = Buffer.from([0x00]);

/** Key id -> check value (base64 of the check plaintext sealed under that key). */
type KeysInUse = Record<string, string>;

/**
 * Checks that `cipher` holds every key the database's values are sealed under, then returns the
 * database to use: `db` itself when encryption is off, else one that seals and opens values.
 * Rejects with ENCRYPTION_KEY_MISSING or ENCRYPTION_AUTHENTICATION_FAILED naming the key id.
 */
export async function openEncryptedDatabase(db: Database, cipher: RecordCipher, location: string): Promise<Database> {
  const where = `the database ${location}`;
  const keysInUse = checkKeysInUse(db, cipher, where);
  const active = cipher.activeKeyId;
  if (active === undefined) return db;
  if (!keysInUse.includes(active)) await recordKeysInUse(db, cipher, [...keysInUse, active]);
  return new EncryptedDatabase(db, cipher, where);
}

/**
 * The ids of the keys the database's values are sealed under, once `cipher` was found to hold
 * each of them; throws ENCRYPTION_KEY_MISSING or ENCRYPTION_AUTHENTICATION_FAILED naming the id.
 */
function checkKeysInUse(db: Database, cipher: RecordCipher, where: string): string[] {
  const keysInUse = readKeysInUse(db, where);
  for (const [keyId, check] of Object.entries(keysInUse)) {
    const opened = cipher.open(Buffer.from(check, 'base64'), where);
    if (!KEY_CHECK_PLAINTEXT.equals(opened)) throw new EncryptionError('ENCRYPTION_AUTHENTICATION_FAILED', { where, keyId });
  }
  return Object.keys(keysInUse);
}

/** Replaces the record of keys in use with `keyIds`, each with a fresh check value. */
async function recordKeysInUse(db: Database, cipher: RecordCipher, keyIds: readonly string[]): Promise<void> {
  const record: KeysInUse = {};
  for (const keyId of keyIds) record[keyId] = cipher.sealWith(keyId, KEY_CHECK_PLAINTEXT).toString('base64');
  await db.batch([{ type: 'put', key: ENCRYPTION_KEYS_KEY, value: Buffer.from(JSON.stringify({ keys: record }), 'utf8') }]);
}

function readKeysInUse(db: Database, where: string): KeysInUse {
  const stored = db.getSync(ENCRYPTION_KEYS_KEY);
  if (stored === undefined) return {};
  try {
    const parsed = JSON.parse(stored.toString('utf8')) as { keys?: unknown };
    if (typeof parsed.keys !== 'object' || parsed.keys === null) throw new Error('no "keys" object');
    return parsed.keys as KeysInUse;
  } catch (error) {
    throw new EncryptionError('ENCRYPTION_RECORD_MALFORMED', { where, reason: `the record of keys in use does not parse (${(error as Error).message})` });
  }
}

export class EncryptedDatabase implements Database {
  /** Every write, in the order submitted; a rotation batch is one step of it. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly cipher: RecordCipher,
    private readonly where: string,
  ) {}

  /**
   * Checks that `next` (a key file re-read for rotation) holds every key the values are sealed
   * under, and records its newest key as in use before any value is sealed under it. Throws
   * ENCRYPTION_KEY_MISSING or ENCRYPTION_AUTHENTICATION_FAILED naming the key id otherwise.
   */
  async prepareRotation(next: RecordCipher): Promise<void> {
    const keysInUse = checkKeysInUse(this.db, next, this.where);
    const active = next.activeKeyId!;
    if (!keysInUse.includes(active)) await this.serialized(() => recordKeysInUse(this.db, next, [...keysInUse, active]));
  }

  /**
   * Re-seals under the newest key every value sealed under another key or stored in the clear,
   * in batches of at most RESEAL_BATCH_KEYS_MAX keys, then records the newest key as the only
   * one in use. Resolves with the number of values rewritten; `onBatch` hears the running total.
   */
  async resealAll(onBatch: (rewritten: number) => void): Promise<number> {
    let from = Buffer.alloc(0);
    let rewritten = 0;
    for (;;) {
      const iterator = this.db.iterator({ gte: from, limit: RESEAL_BATCH_KEYS_MAX, values: false });
      const page = await iterator.all();
      const keys = page.map(([key]) => key).filter(holdsUserValue);
      rewritten += await this.serialized(() => this.resealBatch(keys));
      onBatch(rewritten);
      const last = page.at(-1);
      if (page.length < RESEAL_BATCH_KEYS_MAX || last === undefined) break;
      from = Buffer.concat([last[0], NEXT_KEY_SUFFIX]);
    }
    await this.serialized(() => recordKeysInUse(this.db, this.cipher, [this.cipher.activeKeyId!]));
    return rewritten;
  }

  private async resealBatch(keys: readonly Buffer[]): Promise<number> {
    const active = this.cipher.activeKeyId;
    const operations: DatabaseOperation[] = [];
    for (const key of keys) {
      const stored = this.db.getSync(key);
      if (stored === undefined || (isSealed(stored) && sealedKeyId(stored, this.where) === active)) continue;
      operations.push({ type: 'put', key, value: this.cipher.seal(this.cipher.open(stored, this.where)) as Buffer });
    }
    if (operations.length > 0) await this.db.batch(operations);
    return operations.length;
  }

  private serialized<T>(write: () => Promise<T>): Promise<T> {
    const done = this.writes.then(write);
    this.writes = done.catch(() => undefined);
    return done;
  }

  getSync(key: Buffer, options?: { readonly snapshot?: DatabaseSnapshot }): Buffer | undefined {
    return this.opened(key, this.db.getSync(key, options));
  }

  async getMany(keys: Buffer[], options?: { readonly snapshot?: DatabaseSnapshot }): Promise<Array<Buffer | undefined>> {
    const values = await this.db.getMany(keys, options);
    return values.map((value, index) => this.opened(keys[index]!, value));
  }

  batch(): DatabaseBatch;
  batch(operations: DatabaseOperation[]): Promise<void>;
  batch(operations?: DatabaseOperation[]): DatabaseBatch | Promise<void> {
    if (operations === undefined) return new SealingBatch(this.db.batch(), this.cipher, (write) => this.serialized(write));
    const sealer = new ValueSealer(this.cipher);
    const sealed = operations.map((operation) => (operation.type === 'put' ? { ...operation, value: sealer.value(operation.key, operation.value) } : operation));
    return this.serialized(() => this.db.batch(sealed));
  }

  iterator(range: IteratorRange): DatabaseIterator {
    const inner = this.db.iterator(range);
    return range.values === false ? inner : new OpeningIterator(inner, (key, value) => this.opened(key, value)!);
  }

  snapshot(): DatabaseSnapshot {
    return this.db.snapshot();
  }

  clear(range: { readonly gte: Buffer; readonly lt: Buffer }): Promise<void> {
    return this.serialized(() => this.db.clear(range));
  }

  compactRange(start: Buffer, end: Buffer): Promise<void> {
    return this.db.compactRange(start, end);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  sizeBytes(): Promise<number> {
    return this.db.sizeBytes();
  }

  private opened(key: Buffer, value: Buffer | undefined): Buffer | undefined {
    if (value === undefined || !holdsUserValue(key)) return value;
    const plaintext = this.cipher.open(value, this.where);
    return plaintext === value ? value : Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  }
}

/**
 * Seals the values of one batch. A put writes the same record under its current and its
 * revision key: it is sealed once and stored twice, which repeats a whole record, never a
 * nonce with other plaintext.
 */
class ValueSealer {
  private lastPlaintext: Buffer | undefined;
  private lastSealed: Buffer | undefined;

  constructor(private readonly cipher: RecordCipher) {}

  value(key: Buffer, value: Buffer): Buffer {
    if (!holdsUserValue(key)) return value;
    if (value !== this.lastPlaintext) {
      this.lastPlaintext = value;
      this.lastSealed = this.cipher.seal(value) as Buffer;
    }
    return this.lastSealed!;
  }
}

class SealingBatch implements DatabaseBatch {
  private readonly sealer: ValueSealer;

  constructor(
    private readonly batch: DatabaseBatch,
    cipher: RecordCipher,
    private readonly serialized: (write: () => Promise<void>) => Promise<void>,
  ) {
    this.sealer = new ValueSealer(cipher);
  }

  put(key: Buffer, value: Buffer): DatabaseBatch {
    this.batch.put(key, this.sealer.value(key, value));
    return this;
  }

  del(key: Buffer): DatabaseBatch {
    this.batch.del(key);
    return this;
  }

  write(): Promise<void> {
    return this.serialized(() => this.batch.write());
  }

  close(): Promise<void> {
    return this.batch.close();
  }
}

class OpeningIterator implements DatabaseIterator {
  constructor(
    private readonly inner: DatabaseIterator,
    private readonly open: (key: Buffer, value: Buffer) => Buffer,
  ) {}

  async nextv(size: number): Promise<Array<[Buffer, Buffer]>> {
    return this.openAll(await this.inner.nextv(size));
  }

  async all(): Promise<Array<[Buffer, Buffer]>> {
    return this.openAll(await this.inner.all());
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<[Buffer, Buffer]> {
    for await (const [key, value] of this.inner) yield [key, this.open(key, value)];
  }

  private openAll(entries: Array<[Buffer, Buffer]>): Array<[Buffer, Buffer]> {
    for (const entry of entries) entry[1] = this.open(entry[0], entry[1]);
    return entries;
  }
}
