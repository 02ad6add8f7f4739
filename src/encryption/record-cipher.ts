// The format of one encrypted record, shared by LevelDB values, WAL payloads, snapshot files
// and sealed streams (received snapshots, backups):
//
//   magic 0xE7 u8 | key id length u8 | key id (ASCII) | nonce 12 bytes | ciphertext | GCM tag 16 bytes
//
// AES-256-GCM with the magic, length and key id as additional authenticated data, so that a
// record cannot be passed off as one under another key. Each record takes a fresh random
// 96-bit nonce; random nonces stay safe for about 2^32 records per key (NIST SP 800-38D), far
// more than a member writes between rotations. A record is returned only after its tag
// verified: a flipped bit anywhere is an ENCRYPTION_AUTHENTICATION_FAILED error, never garbage.
//
// Bytes that do not start with the magic are plaintext written before encryption was turned
// on, and `open` returns them unchanged: every format sealed here starts with a byte that
// cannot be 0xE7 in its plaintext form (the Raft codec's version 1, a KeyValue record's type
// 0 or 1, a snapshot stream's magic), except raw restore chunks, which are only ever written
// sealed once a key is set (see docs/security.md).

import { createCipheriv, createDecipheriv, type KeyObject, randomFillSync } from 'node:crypto';
import { EncryptionError } from './errors.js';
import type { EncryptionKey } from './key-file.js';

export const SEALED_MAGIC = 0xe7;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';
/** Nonces drawn from the system's CSPRNG per call cost more than the encryption of a small record. */
const NONCE_POOL_BYTES = NONCE_BYTES * 1024;

interface CipherKey {
  readonly id: string;
  readonly secret: KeyObject;
  /** magic | id length | id: the start of every record under this key, and its AAD. */
  readonly header: Buffer;
}

/** Random nonces taken from a pool refilled in one call; each nonce is handed out once. */
class NonceSource {
  private readonly pool = Buffer.allocUnsafe(NONCE_POOL_BYTES);
  private next = NONCE_POOL_BYTES;

  writeTo(target: Buffer, offset: number): void {
    if (this.next === NONCE_POOL_BYTES) {
      randomFillSync(this.pool);
      this.next = 0;
    }
    this.pool.copy(target, offset, this.next, this.next + NONCE_BYTES);
    this.next += NONCE_BYTES;
  }
}

export class RecordCipher {
  /** A member without an encryption-key-file: seals nothing, and names the key a sealed record needs. */
  static readonly disabled = new RecordCipher([], '');

  private keys: ReadonlyMap<string, CipherKey>;
  // Invariant: undefined exactly when there are no keys.
  private active: CipherKey | undefined;
  private readonly nonces = new NonceSource();

  /** `keys` newest first: the first encrypts; `keyFilePath` names the file in errors. */
  constructor(
    keys: readonly EncryptionKey[],
    private keyFilePath: string,
  ) {
    const cipherKeys = keys.map(({ id, secret }) => ({ id, secret, header: Buffer.concat([Buffer.from([SEALED_MAGIC, id.length]), Buffer.from(id, 'ascii')]) }));
    this.keys = new Map(cipherKeys.map((key) => [key.id, key]));
    this.active = cipherKeys[0];
  }

  get enabled(): boolean {
    return this.active !== undefined;
  }

  /** The id of the key new records are sealed under, or undefined when encryption is off. */
  get activeKeyId(): string | undefined {
    return this.active?.id;
  }

  hasKey(id: string): boolean {
    return this.keys.has(id);
  }

  /** Whether `other` holds a key of this id with the same secret. */
  holdsSameKey(other: RecordCipher, id: string): boolean {
    const mine = this.keys.get(id);
    const theirs = other.keys.get(id);
    return mine !== undefined && theirs !== undefined && mine.secret.equals(theirs.secret);
  }

  /**
   * Takes the keys of `next` (the key file re-read for rotation): every holder of this cipher
   * (the WAL, snapshot files, the database, backups) seals under `next`'s newest key from now on.
   */
  adopt(next: RecordCipher): void {
    if (this === RecordCipher.disabled || !next.enabled) throw new Error('adopt: encryption cannot be turned on or off while running');
    this.keys = next.keys;
    this.active = next.active;
    this.keyFilePath = next.keyFilePath;
  }

  /** Seals under the newest key; returns `plaintext` itself when encryption is off. */
  seal(plaintext: Uint8Array): Uint8Array {
    return this.active === undefined ? plaintext : this.sealUnder(this.active, plaintext);
  }

  /** Seals under a named key of the file (for the check record of each key in use). */
  sealWith(keyId: string, plaintext: Uint8Array): Buffer {
    const key = this.keys.get(keyId);
    if (key === undefined) throw new Error(`sealWith: key id ${keyId} is not in the key file`);
    return this.sealUnder(key, plaintext);
  }

  /**
   * The plaintext of a sealed record, or `bytes` unchanged when they are not sealed. Throws an
   * EncryptionError naming `where` and the key id when the key is missing or the tag fails.
   */
  open(bytes: Uint8Array, where: string): Uint8Array {
    if (bytes[0] !== SEALED_MAGIC) return bytes;
    const keyId = sealedKeyId(bytes, where);
    const key = this.keys.get(keyId);
    if (key === undefined) {
      const reason = this.enabled ? `is not in the key file ${this.keyFilePath}` : 'is not available: no encryption-key-file is set';
      throw new EncryptionError('ENCRYPTION_KEY_MISSING', { where, keyId, reason });
    }
    const headerBytes = key.header.byteLength;
    if (bytes.byteLength < headerBytes + NONCE_BYTES + TAG_BYTES) {
      throw new EncryptionError('ENCRYPTION_RECORD_MALFORMED', { where, reason: `${bytes.byteLength} bytes is shorter than its header, nonce and tag` });
    }
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const tagAt = view.byteLength - TAG_BYTES;
    const decipher = createDecipheriv(ALGORITHM, key.secret, view.subarray(headerBytes, headerBytes + NONCE_BYTES));
    decipher.setAAD(key.header);
    decipher.setAuthTag(view.subarray(tagAt));
    const plaintext = decipher.update(view.subarray(headerBytes + NONCE_BYTES, tagAt));
    try {
      decipher.final();
    } catch {
      throw new EncryptionError('ENCRYPTION_AUTHENTICATION_FAILED', { where, keyId });
    }
    return plaintext;
  }

  private sealUnder(key: CipherKey, plaintext: Uint8Array): Buffer {
    const headerBytes = key.header.byteLength;
    const sealed = Buffer.allocUnsafe(headerBytes + NONCE_BYTES + plaintext.byteLength + TAG_BYTES);
    key.header.copy(sealed, 0);
    this.nonces.writeTo(sealed, headerBytes);
    const cipher = createCipheriv(ALGORITHM, key.secret, sealed.subarray(headerBytes, headerBytes + NONCE_BYTES));
    cipher.setAAD(key.header);
    const ciphertext = cipher.update(plaintext);
    ciphertext.copy(sealed, headerBytes + NONCE_BYTES);
    cipher.final();
    cipher.getAuthTag().copy(sealed, headerBytes + NONCE_BYTES + plaintext.byteLength);
    return sealed;
  }
}

export function isSealed(bytes: Uint8Array): boolean {
  return bytes[0] === SEALED_MAGIC;
}

/** The key id a sealed record names; throws ENCRYPTION_RECORD_MALFORMED if its header is cut short. */
export function sealedKeyId(bytes: Uint8Array, where: string): string {
  const length = bytes[1];
  if (length === undefined || length === 0 || bytes.byteLength < 2 + length) {
    throw new EncryptionError('ENCRYPTION_RECORD_MALFORMED', { where, reason: 'its key id is cut short' });
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset + 2, length).toString('ascii');
}
