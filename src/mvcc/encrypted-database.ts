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

import { EncryptionError } from '../encryption/errors.js';
import type { RecordCipher } from '../encryption/record-cipher.js';
import { ENCRYPTION_KEYS_KEY, holdsUserValue } from './key-codec.js';
import type { Database, DatabaseBatch, DatabaseIterator, DatabaseOperation, DatabaseSnapshot, IteratorRange } from './storage.js';

const KEY_CHECK_PLAINTEXT = Buffer.from('beaver-vault encryption key check', 'ascii');

/** Key id -> check value (base64 of the check plaintext sealed under that key). */
type KeysInUse = Record<string, string>;

/**
 * Checks that `cipher` holds every key the database's values are sealed under, then returns the
 * database to use: `db` itself when encryption is off, else one that seals and opens values.
 * Rejects with ENCRYPTION_KEY_MISSING or ENCRYPTION_AUTHENTICATION_FAILED naming the key id.
 */
export async function openEncryptedDatabase(db: Database, cipher: RecordCipher, location: string): Promise<Database> {
  const where = `the database ${location}`;
  const keysInUse = readKeysInUse(db, where);
  for (const [keyId, check] of Object.entries(keysInUse)) {
    const opened = cipher.open(Buffer.from(check, 'base64'), where);
    if (!KEY_CHECK_PLAINTEXT.equals(opened)) throw new EncryptionError('ENCRYPTION_AUTHENTICATION_FAILED', { where, keyId });
  }
  const active = cipher.activeKeyId;
  if (active === undefined) return db;
  if (keysInUse[active] === undefined) await recordKeysInUse(db, cipher, [...Object.keys(keysInUse), active]);
  return new EncryptedDatabase(db, cipher, where);
}

/** Replaces the record of keys in use with `keyIds`, each with a fresh check value. */
export async function recordKeysInUse(db: Database, cipher: RecordCipher, keyIds: readonly string[]): Promise<void> {
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

class EncryptedDatabase implements Database {
  constructor(
    private readonly db: Database,
    private readonly cipher: RecordCipher,
    private readonly where: string,
  ) {}

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
    if (operations === undefined) return new SealingBatch(this.db.batch(), this.cipher);
    const sealer = new ValueSealer(this.cipher);
    return this.db.batch(operations.map((operation) => (operation.type === 'put' ? { ...operation, value: sealer.value(operation.key, operation.value) } : operation)));
  }

  iterator(range: IteratorRange): DatabaseIterator {
    const inner = this.db.iterator(range);
    return range.values === false ? inner : new OpeningIterator(inner, (key, value) => this.opened(key, value)!);
  }

  snapshot(): DatabaseSnapshot {
    return this.db.snapshot();
  }

  clear(range: { readonly gte: Buffer; readonly lt: Buffer }): Promise<void> {
    return this.db.clear(range);
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
    return this.batch.write();
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
