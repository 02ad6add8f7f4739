// etcd's JWT tokens (`auth-token jwt,pub-key=...,priv-key=...,sign-method=RS256|ES256,ttl=5m`):
// signed by the member that authenticates, with etcd's claims (username, revision, exp), and
// verified by any member that holds the public key, without the log. A token signed by another
// key (another cluster), expired, or not a JWT at all is invalid.
import { readFile } from 'node:fs/promises';
import { importPKCS8, importSPKI, jwtVerify, SignJWT } from 'jose';
import { MvccError } from '../mvcc/errors.js';
import type { JwtTokenSettings } from './token-settings.js';
import type { TokenInfo, TokenProvider } from './tokens.js';

type Key = Awaited<ReturnType<typeof importSPKI>>;

export class JwtTokens implements TokenProvider {
  private constructor(
    private readonly settings: JwtTokenSettings,
    private readonly publicKey: Key,
    private readonly privateKey: Key | undefined,
  ) {}

  /** Reads and checks the key files at start; a missing or unreadable key stops the server with its path named. */
  static async open(settings: JwtTokenSettings): Promise<JwtTokens> {
    const publicKey = await importSPKI(await readKeyFile(settings.publicKeyPath, 'pub-key'), settings.signMethod).catch((error: unknown) => {
      throw new Error(`auth-token: pub-key ${settings.publicKeyPath} is not a ${settings.signMethod} public key in PEM (SPKI): ${errorText(error)}`);
    });
    if (settings.privateKeyPath === undefined) return new JwtTokens(settings, publicKey, undefined);
    const privateKey = await importPKCS8(await readKeyFile(settings.privateKeyPath, 'priv-key'), settings.signMethod).catch((error: unknown) => {
      throw new Error(`auth-token: priv-key ${settings.privateKeyPath} is not a ${settings.signMethod} private key in PEM (PKCS#8): ${errorText(error)}`);
    });
    return new JwtTokens(settings, publicKey, privateKey);
  }

  async assign(name: string, authRevision: number): Promise<string> {
    // etcd's verify-only mode: a member without the private key cannot issue tokens.
    if (this.privateKey === undefined) throw new MvccError('AUTH_FAILED');
    return new SignJWT({ username: name, revision: authRevision })
      .setProtectedHeader({ alg: this.settings.signMethod })
      .setExpirationTime(Math.floor((Date.now() + this.settings.ttlMs) / 1000))
      .sign(this.privateKey);
  }

  async info(token: string): Promise<TokenInfo> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, { algorithms: [this.settings.signMethod], requiredClaims: ['exp'] });
      const { username, revision } = payload as { username?: unknown; revision?: unknown };
      if (typeof username !== 'string' || typeof revision !== 'number') throw new Error('claims username and revision missing');
      return { name: username, authRevision: revision };
    } catch {
      throw new MvccError('AUTH_INVALID_TOKEN');
    }
  }

  close(): void {}
}

async function readKeyFile(path: string, setting: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`auth-token: cannot read ${setting} ${path}: ${errorText(error)}`);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
