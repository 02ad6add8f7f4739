// The encryption key file: one key per line, `<id>: <base64 of 32 random bytes>`, with blank
// lines and lines starting with # ignored. The first key listed is the newest: it encrypts
// every new record; the others only decrypt records written under them, so rotating means
// adding a new first line, running `bvault admin rotate-encryption-key`, and then deleting the
// old line. Everything wrong with the file is refused at start, naming the line.
//
//   # made with: printf 'k2: %s\n' "$(head -c 32 /dev/urandom | base64)"
//   k2: 3q2+7w...=
//   k1: u3dG0Q...=

import { createSecretKey, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { EncryptionError } from './errors.js';
import { RecordCipher } from './record-cipher.js';

export const KEY_BYTES = 32;
export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** Enough for any rotation schedule; a longer file is more likely a mistake than a plan. */
export const KEYS_MAX = 64;
const KEY_FILE_BYTES_MAX = 64 * 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface EncryptionKey {
  readonly id: string;
  readonly secret: KeyObject;
}

export interface KeyFile {
  readonly path: string;
  /** Newest first: keys[0] encrypts new records. Never empty. */
  readonly keys: readonly EncryptionKey[];
  /** Problems that do not stop the member, such as permissions that let others read the file. */
  readonly warnings: readonly string[];
}

/** Reads and validates the key file; rejects with ENCRYPTION_KEY_FILE_INVALID naming the problem. */
export async function readKeyFile(path: string): Promise<KeyFile> {
  const invalid = (reason: string): EncryptionError => new EncryptionError('ENCRYPTION_KEY_FILE_INVALID', { path, reason });
  let text: string;
  let mode: number;
  try {
    const info = await stat(path);
    if (info.size > KEY_FILE_BYTES_MAX) throw invalid(`it is ${info.size} bytes, over the limit of ${KEY_FILE_BYTES_MAX}`);
    mode = info.mode;
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof EncryptionError) throw error;
    throw invalid(`it cannot be read (${(error as Error).message})`);
  }
  const warnings = (mode & 0o077) === 0 ? [] : [permissionWarning(path, mode)];
  return { path, keys: parseKeyFile(text, path), warnings };
}

/** Parses the text of a key file; `path` only names the file in errors. */
export function parseKeyFile(text: string, path: string): EncryptionKey[] {
  const invalid = (reason: string): EncryptionError => new EncryptionError('ENCRYPTION_KEY_FILE_INVALID', { path, reason });
  const keys: EncryptionKey[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const lineNumber = index + 1;
    const separator = line.indexOf(':');
    if (separator < 0) throw invalid(`line ${lineNumber} is not "<id>: <base64 key>"`);
    const id = line.slice(0, separator).trim();
    const encoded = line.slice(separator + 1).trim();
    if (!KEY_ID_PATTERN.test(id)) {
      throw invalid(`line ${lineNumber}: key id "${id}" must be 1 to 64 characters of letters, digits, '.', '_' or '-'`);
    }
    const previous = seen.get(id);
    if (previous !== undefined) throw invalid(`line ${lineNumber}: key id "${id}" is already used on line ${previous}`);
    seen.set(id, lineNumber);
    if (!BASE64.test(encoded)) throw invalid(`line ${lineNumber}: the key of "${id}" is not base64`);
    const bytes = Buffer.from(encoded, 'base64');
    if (bytes.byteLength !== KEY_BYTES) {
      throw invalid(`line ${lineNumber}: the key of "${id}" is ${bytes.byteLength} bytes, AES-256 needs exactly ${KEY_BYTES} (256 bits)`);
    }
    if (keys.length === KEYS_MAX) throw invalid(`it holds more than ${KEYS_MAX} keys`);
    keys.push({ id, secret: createSecretKey(bytes) });
    bytes.fill(0);
  }
  if (keys.length === 0) throw invalid('it holds no key; write at least one line "<id>: <base64 of 32 random bytes>"');
  return keys;
}

function permissionWarning(path: string, mode: number): string {
  const octal = (mode & 0o777).toString(8).padStart(3, '0');
  return `the encryption key file ${path} has mode ${octal}: users other than its owner can read it; run chmod 600 ${path}`;
}

/**
 * The cipher a member uses: RecordCipher.disabled without a key file, else one over the
 * file's keys. Warnings about the file (its permissions) go to `warn`.
 */
export async function loadRecordCipher(keyFile: string | undefined, warn: (message: string) => void): Promise<RecordCipher> {
  if (keyFile === undefined) return RecordCipher.disabled;
  const file = await readKeyFile(keyFile);
  for (const warning of file.warnings) warn(warning);
  return new RecordCipher(file.keys, file.path);
}
