// Authentication for `bvault dev --tls`: the `root` user with a generated password, the root
// role, and auth enabled, all through etcd's Auth service on a member's gRPC port, as an
// operator would do it with etcdctl. The password is written to a 0600 file in the dev data
// directory before the user is made, so a start interrupted half-way, or a later restart, finds
// the same password; a cluster that already has auth on is left as it is.

import { credentials, type ServiceError } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientTlsMaterial } from '../tls/index.js';
import { AuthCalls, enableRootAuthentication, ROOT_USER } from '../client/auth-calls.js';

export const DEV_ROOT_USER = ROOT_USER;
const PASSWORD_FILE_NAME = 'root-password';
/** 18 random bytes: 144 bits, 24 characters of base64url, nothing a shell would interpret. */
const PASSWORD_BYTES = 18;

export interface DevAuth {
  readonly user: string;
  readonly password: string;
  readonly passwordFile: string;
  /** False on a restart that found auth already on. */
  readonly enabledNow: boolean;
}

/**
 * Makes sure authentication is on with `root` and the password stored in `dataDir`. Rejects with
 * a message saying what to do when auth is on but the stored password is missing or refused.
 */
export async function enableDevAuth(grpcAddress: string, tls: Required<ClientTlsMaterial>, dataDir: string): Promise<DevAuth> {
  const passwordFile = join(dataDir, PASSWORD_FILE_NAME);
  const auth = new AuthCalls(grpcAddress, credentials.createSsl(tls.ca, tls.key, tls.cert));
  try {
    const stored = await readStoredPassword(passwordFile);
    if ((await auth.call('authStatus', {})).enabled) {
      if (stored === undefined) throw new Error(`authentication is already on but ${passwordFile} is missing; start afresh with --clean`);
      await auth.call('authenticate', { name: DEV_ROOT_USER, password: stored }).catch((error: unknown) => {
        throw new Error(`authentication is on and the root password in ${passwordFile} is refused (${(error as ServiceError).details}); start afresh with --clean`);
      });
      return { user: DEV_ROOT_USER, password: stored, passwordFile, enabledNow: false };
    }
    const password = stored ?? (await storeNewPassword(passwordFile));
    await enableRootAuthentication(auth, password);
    return { user: DEV_ROOT_USER, password, passwordFile, enabledNow: true };
  } finally {
    auth.close();
  }
}

async function readStoredPassword(passwordFile: string): Promise<string | undefined> {
  try {
    return (await readFile(passwordFile, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function storeNewPassword(passwordFile: string): Promise<string> {
  const password = randomBytes(PASSWORD_BYTES).toString('base64url');
  // 'wx': never replace a password another start wrote; 0600: only this user reads it.
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}
