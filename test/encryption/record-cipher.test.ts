// The sealed record format: a round trip, and every way a record can fail to open — a key id
// not in the file, the wrong key under the right id, a flipped bit in the nonce, the tag or
// the ciphertext — each an error naming the key id, never plaintext.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isEncryptionError } from '../../src/encryption/errors.js';
import { parseKeyFile, readKeyFile } from '../../src/encryption/key-file.js';
import { RecordCipher, sealedKeyId } from '../../src/encryption/record-cipher.js';

const keyLine = (id: string): string => `${id}: ${randomBytes(32).toString('base64')}`;
const cipherOf = (text: string): RecordCipher => new RecordCipher(parseKeyFile(text, 'keys.txt'), 'keys.txt');
const PLAINTEXT = Buffer.from('the value a user wrote');

function expectFailure(open: () => unknown, code: string, keyId: string): void {
  try {
    open();
  } catch (error) {
    expect(isEncryptionError(error), String(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    expect((error as Error).message).toContain(`"${keyId}"`);
    return;
  }
  throw new Error('the record opened');
}

describe('a sealed record', () => {
  const line = keyLine('k1');
  const cipher = cipherOf(line);

  it('opens to its plaintext, under the key id it names, and differs each time it is sealed', () => {
    const sealed = cipher.seal(PLAINTEXT);
    expect(sealedKeyId(sealed, 'test')).toBe('k1');
    expect(Buffer.from(cipher.open(sealed, 'test'))).toEqual(PLAINTEXT);
    expect(Buffer.from(sealed).includes(PLAINTEXT)).toBe(false);
    expect(Buffer.from(cipher.seal(PLAINTEXT)).equals(Buffer.from(sealed)), 'a fresh nonce per record').toBe(false);
  });

  it('under an older key of the file still opens; new records take the first key', () => {
    const rotated = cipherOf(`${keyLine('k2')}\n${line}\n`);
    expect(Buffer.from(rotated.open(cipher.seal(PLAINTEXT), 'test'))).toEqual(PLAINTEXT);
    expect(sealedKeyId(rotated.seal(PLAINTEXT), 'test')).toBe('k2');
  });

  it('under a key id the file lacks is refused naming the id, with or without a key file', () => {
    const sealed = cipher.seal(PLAINTEXT);
    expectFailure(() => cipherOf(keyLine('k2')).open(sealed, 'test'), 'ENCRYPTION_KEY_MISSING', 'k1');
    expectFailure(() => RecordCipher.disabled.open(sealed, 'test'), 'ENCRYPTION_KEY_MISSING', 'k1');
  });

  it('with another key under the same id fails authentication', () => {
    expectFailure(() => cipherOf(keyLine('k1')).open(cipher.seal(PLAINTEXT), 'test'), 'ENCRYPTION_AUTHENTICATION_FAILED', 'k1');
  });

  it.each([
    ['the nonce', 4],
    ['the ciphertext', 4 + 12 + 3],
    ['the tag', -1],
  ])('with a bit flipped in %s fails authentication', (_part, position) => {
    const sealed = Buffer.from(cipher.seal(PLAINTEXT));
    const at = position < 0 ? sealed.byteLength + position : position;
    sealed[at]! ^= 0x01;
    expectFailure(() => cipher.open(sealed, 'test'), 'ENCRYPTION_AUTHENTICATION_FAILED', 'k1');
  });

  it('in the clear (written before encryption was on) is returned as it is', () => {
    const plain = Buffer.from([0x00, 0x01, 0x02]);
    expect(cipher.open(plain, 'test')).toBe(plain);
    expect(RecordCipher.disabled.seal(plain)).toBe(plain);
  });
});

describe('the key file', () => {
  const invalid = (text: string, problem: RegExp): void => {
    expect(() => parseKeyFile(text, 'keys.txt')).toThrow(problem);
  };

  it('refuses a key that is not 256 bits, naming its length', () => {
    invalid(`k1: ${randomBytes(16).toString('base64')}`, /line 1: the key of "k1" is 16 bytes, AES-256 needs exactly 32 \(256 bits\)/);
  });

  it('refuses duplicate ids, an empty file, a bad id and a key that is not base64', () => {
    invalid(`${keyLine('k1')}\n${keyLine('k1')}`, /line 2: key id "k1" is already used on line 1/);
    invalid('# only a comment\n\n', /holds no key/);
    invalid(`bad id: ${randomBytes(32).toString('base64')}`, /key id "bad id" must be 1 to 64 characters/);
    invalid('k1: not*base64', /the key of "k1" is not base64/);
    invalid('just-a-line', /line 1 is not "<id>: <base64 key>"/);
  });

  it('refuses more than 64 keys', () => {
    invalid(Array.from({ length: 65 }, (_unused, index) => keyLine(`k${index}`)).join('\n'), /more than 64 keys/);
  });

  it('refuses a file over 64 KiB and warns when others may read it', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'bv-keys-'));
    try {
      const large = join(directory, 'large');
      await writeFile(large, `# ${'x'.repeat(70_000)}\n${keyLine('k1')}`);
      await expect(readKeyFile(large)).rejects.toThrow(/it is 7\d{4} bytes, over the limit of 65536/);
      const shared = join(directory, 'shared');
      await writeFile(shared, keyLine('k1'));
      await chmod(shared, 0o644);
      expect((await readKeyFile(shared)).warnings).toEqual([expect.stringMatching(/has mode 644: users other than its owner can read it; run chmod 600/)]);
      await chmod(shared, 0o600);
      expect((await readKeyFile(shared)).warnings).toEqual([]);
      await expect(readKeyFile(join(directory, 'absent'))).rejects.toThrow(/the encryption key file .*absent is invalid: it cannot be read/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('skips comments and blank lines; the first key listed is the one that encrypts', () => {
    const keys = parseKeyFile(`# rotation\n\n${keyLine('new')}\n${keyLine('old')}\n`, 'keys.txt');
    expect(keys.map((key) => key.id)).toEqual(['new', 'old']);
  });
});
