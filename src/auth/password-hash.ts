// Passwords are kept only as a slow salted hash: scrypt with a random 16-byte salt, its cost
// parameters stored with it, so they can be raised later without breaking stored hashes. The
// member that receives a password hashes it before proposing (etcd does the same with bcrypt),
// so the password never enters the log, a snapshot or a backup.
import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';

const SCHEME = 'scrypt';
/** N = 2^14, r = 8, p = 1: about 50 ms and 16 MiB per hash, scrypt's interactive-login setting. */
export const DEFAULT_SCRYPT: Readonly<Required<Pick<ScryptOptions, 'N' | 'r' | 'p'>>> = { N: 16_384, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const MAX_MEMORY_BYTES = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, parameters: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_BYTES, { ...parameters, maxmem: MAX_MEMORY_BYTES }, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}

/** `scrypt$N$r$p$salt$key`, salt and key in base64. */
export async function hashPassword(password: string, parameters = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, parameters);
  return [SCHEME, parameters.N, parameters.r, parameters.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Compares in constant time; a hash this release cannot read never matches. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = encoded.split('$');
  if (scheme !== SCHEME || salt === undefined || key === undefined) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
