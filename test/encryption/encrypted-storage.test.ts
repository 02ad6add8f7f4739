// Encryption at rest beneath the node: the WAL, the database and sealed streams. A flipped bit
// under a valid CRC is refused like any other damaged WAL record, a flipped bit in a stored
// value fails the read, never returning altered data; rotation re-seals every value while
// writes go on, after which the old key is no longer needed.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isEncryptionError } from '../../src/encryption/errors.js';
import { parseKeyFile } from '../../src/encryption/key-file.js';
import { RecordCipher } from '../../src/encryption/record-cipher.js';
import { openStream, SEALED_STREAM_MAGIC, sealStream } from '../../src/encryption/sealed-stream.js';
import { type EncryptedDatabase, openEncryptedDatabase } from '../../src/mvcc/encrypted-database.js';
import { MvccStore, openDatabase } from '../../src/mvcc/index.js';
import { encodeRequest } from '../../src/mvcc/request-codec.js';
import { groupId, logIndex } from '../../src/raft/index.js';
import { StorageCorruptError } from '../../src/storage/index.js';
import { readFrame } from '../../src/storage/wal-record.js';
import { entry, openStore, segmentPaths, temporaryDirectory, useTemporaryDirectories } from '../storage/helpers.js';

useTemporaryDirectories();

const keyLine = (id: string): string => `${id}: ${randomBytes(32).toString('base64')}\n`;
const cipherOf = (text: string): RecordCipher => new RecordCipher(parseKeyFile(text, 'keys'), 'keys');

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => new Error('it succeeded'),
    (error: unknown) => error as Error,
  );
}

describe('the WAL with encryption at rest', () => {
  async function storeWithThreeRecords(cipher: RecordCipher): Promise<{ directory: string; segment: string }> {
    const directory = await temporaryDirectory();
    const store = await openStore(directory, { cipher });
    for (const index of [1, 2, 3]) await store.append([entry(index, 1, `secret entry ${index}`)]);
    await store.close();
    const [segment] = await segmentPaths(directory);
    return { directory, segment: segment! };
  }

  it('holds no entry in the clear and replays every entry', async () => {
    const cipher = cipherOf(keyLine('k1'));
    const { directory, segment } = await storeWithThreeRecords(cipher);
    expect((await readFile(segment)).includes(Buffer.from('secret entry'))).toBe(false);
    const store = await openStore(directory, { cipher });
    expect(store.entries(logIndex(1), logIndex(4), Number.MAX_SAFE_INTEGER).map((e) => Buffer.from(e.data).toString())).toEqual(['secret entry 1', 'secret entry 2', 'secret entry 3']);
    await store.close();
  });

  it('refuses a record whose ciphertext lost a bit under a recomputed CRC, naming the file, the offset and the key id', async () => {
    const cipher = cipherOf(keyLine('k1'));
    const { directory, segment } = await storeWithThreeRecords(cipher);
    const bytes = await readFile(segment);
    // The segment starts with its marker and hard state; the fourth frame holds entry 2.
    let offset = 0;
    for (let frame = 0; frame < 3; frame++) offset = (readFrame(bytes, offset) as { end: number }).end;
    const target = readFrame(bytes, offset) as { end: number };
    bytes[target.end - 4 - 20]! ^= 0x04;
    bytes.writeUInt32BE(crc32(bytes.subarray(offset, target.end - 4)), target.end - 4);
    await writeFile(segment, bytes);
    const error = await rejection(openStore(directory, { cipher }));
    expect(error).toBeInstanceOf(StorageCorruptError);
    expect(error.message).toContain(`offset ${offset}`);
    expect(error.message).toMatch(/key id "k1" fails authentication/);
  });

  it('names the key id when opened with another key or none', async () => {
    const { directory } = await storeWithThreeRecords(cipherOf(keyLine('k1')));
    expect((await rejection(openStore(directory, { cipher: cipherOf(keyLine('k1')) }))).message).toMatch(/key id "k1" fails authentication/);
    const missing = await rejection(openStore(directory, { cipher: cipherOf(keyLine('k2')) }));
    expect(isEncryptionError(missing, 'ENCRYPTION_KEY_MISSING'), missing.message).toBe(true);
    expect(missing.message).toMatch(/key id "k1", which is not in the key file/);
    expect((await rejection(openStore(directory))).message).toMatch(/key id "k1", which is not available: no encryption-key-file is set/);
  });
});

describe('the database with encryption at rest', () => {
  async function openEncrypted(directory: string, cipher: RecordCipher): Promise<{ db: EncryptedDatabase; store: MvccStore; close: () => Promise<void> }> {
    const raw = await openDatabase(join(directory, 'keyvalue'), { cacheBytes: 1 << 20, writeBufferBytes: 1 << 20 });
    try {
      const db = (await openEncryptedDatabase(raw, cipher, 'keyvalue')) as EncryptedDatabase;
      const store = await MvccStore.open(db, { groupId: groupId(0) });
      return { db, store, close: async () => (await store.close(), await raw.close()) };
    } catch (error) {
      await raw.close();
      throw error;
    }
  }

  let index = 0;
  const put = (store: MvccStore, key: string, value: string): Promise<unknown> =>
    store.apply([{ index: ++index, term: 1, data: encodeRequest({ timestampMs: 1, request: { type: 'put', put: { key: Buffer.from(key), value: Buffer.from(value) } } }) }]);
  const read = async (store: MvccStore, key: string): Promise<string | undefined> => {
    const kv = (await store.range({ key: Buffer.from(key) })).kvs[0];
    return kv === undefined ? undefined : Buffer.from(kv.value).toString();
  };

  it('fails a read of a value with a flipped bit instead of returning it', async () => {
    const directory = await temporaryDirectory();
    const cipher = cipherOf(keyLine('k1'));
    const raw = await openDatabase(join(directory, 'keyvalue'));
    const db = await openEncryptedDatabase(raw, cipher, 'keyvalue');
    const store = await MvccStore.open(db, { groupId: groupId(0) });
    await put(store, 'a', 'the secret');
    const [storageKey] = (await raw.iterator({ gte: Buffer.from([0, 0, 0, 0, 1, 2]), lt: Buffer.from([0, 0, 0, 0, 1, 3]) }).all())[0]!;
    const sealed = raw.getSync(storageKey)!;
    expect(sealed.includes(Buffer.from('the secret'))).toBe(false);
    sealed[sealed.byteLength - 20]! ^= 0x01;
    await raw.batch([{ type: 'put', key: storageKey, value: sealed }]);
    const error = await rejection(read(store, 'a'));
    expect(isEncryptionError(error, 'ENCRYPTION_AUTHENTICATION_FAILED'), error.message).toBe(true);
    await store.close();
    await raw.close();
  });

  it('re-seals every value under the new key while writes go on; the old key is then not needed', async () => {
    const directory = await temporaryDirectory();
    const oldLine = keyLine('k1');
    const opened = await openEncrypted(directory, cipherOf(oldLine));
    for (let n = 0; n < 3000; n++) await put(opened.store, `before/${n}`, `value ${n}`);
    const rotatedText = keyLine('k2') + oldLine;
    const next = cipherOf(rotatedText);
    await opened.db.prepareRotation(next);
    // The member's cipher is shared by everything that seals; rotation swaps its keys in place.
    const shared = (opened.db as unknown as { cipher: RecordCipher }).cipher;
    shared.adopt(next);
    let writing = true;
    const writer = (async () => {
      for (let n = 0; writing; n++) await put(opened.store, `before/${n % 3000}`, `rewritten ${n}`);
    })();
    const resealed = await opened.db.resealAll(() => undefined);
    writing = false;
    await writer;
    expect(resealed).toBeGreaterThan(3000);
    const expected = new Map<string, string | undefined>();
    for (let n = 0; n < 3000; n += 97) expected.set(`before/${n}`, await read(opened.store, `before/${n}`));
    await opened.close();

    const reopened = await openEncrypted(directory, cipherOf(rotatedText.split('\n')[0]! + '\n'));
    for (const [key, value] of expected) expect(await read(reopened.store, key)).toBe(value);
    // Every value read, history included: one left under k1 would fail with ENCRYPTION_KEY_MISSING.
    const all = await reopened.store.range({ key: Buffer.from('before/'), rangeEnd: Buffer.from('before0') });
    expect(all.count).toBe(3000);
    const firstRevision = all.kvs.find((kv) => Buffer.from(kv.key).toString() === 'before/0')!.createRevision;
    const history = await reopened.store.range({ key: Buffer.from('before/0'), revision: firstRevision });
    expect(history.kvs.map((kv) => Buffer.from(kv.value).toString())).toEqual(['value 0']);
    await reopened.close();
  });

  it('refuses to open without a key its values are sealed under, naming it', async () => {
    const directory = await temporaryDirectory();
    const opened = await openEncrypted(directory, cipherOf(keyLine('k1')));
    await put(opened.store, 'a', 'b');
    await opened.close();
    const error = await rejection(openEncrypted(directory, RecordCipher.disabled));
    expect(error.message).toMatch(/the database keyvalue is encrypted under key id "k1"/);
  });
});

describe('a sealed stream', () => {
  const cipher = cipherOf(keyLine('k1'));
  async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
    yield* parts;
  }
  async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
    const parts: Uint8Array[] = [];
    for await (const part of stream) parts.push(part);
    return Buffer.concat(parts);
  }

  it('opens to the bytes sealed, whatever the chunk boundaries on the way', async () => {
    const data = randomBytes(5000);
    const sealed = await collect(sealStream(chunks(data.subarray(0, 1000), data.subarray(1000)), cipher));
    expect(sealed.includes(data.subarray(0, 64))).toBe(false);
    const byteByByte = Array.from(sealed, (byte) => Uint8Array.of(byte));
    expect(await collect(openStream(chunks(...byteByByte), cipher, 'test'))).toEqual(data);
  });

  it('refuses a stream cut inside a frame, and passes a plain stream through', async () => {
    const sealed = await collect(sealStream(chunks(randomBytes(100)), cipher));
    const error = await rejection(collect(openStream(chunks(sealed.subarray(0, sealed.byteLength - 5)), cipher, 'test')));
    expect(error.message).toMatch(/the stream ends inside a frame/);
    const oversized = Buffer.concat([SEALED_STREAM_MAGIC, Buffer.from([0x04, 0x00, 0x00, 0x01])]);
    expect((await rejection(collect(openStream(chunks(oversized), cipher, 'test')))).message).toMatch(/a frame of 67108865 bytes is over the limit of 67108864/);
    const plain = Buffer.from('BVMVCC plain backup');
    expect(await collect(openStream(chunks(plain), cipher, 'test'))).toEqual(plain);
  });
});
