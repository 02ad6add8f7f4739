// The TLS files a command line names as etcdctl does (--cacert, --cert, --key), read into the
// client's `tls` option; shared by the `bvault` client commands and `bvault bench`.
import { readFileSync } from 'node:fs';
import type { ClientTls } from './client-options.js';

export interface ClientTlsPaths {
  readonly cacert?: string;
  readonly cert?: string;
  readonly key?: string;
}

/**
 * Undefined when no path is given; throws an Error naming the flag (or `origins`' name for it,
 * e.g. an environment variable) and the file that cannot be read, or a certificate without its key.
 */
export function readClientTlsFiles(paths: ClientTlsPaths, origins: Partial<Record<keyof ClientTlsPaths, string>> = {}): ClientTls | undefined {
  if ((paths.cert === undefined) !== (paths.key === undefined)) throw new Error('--cert and --key go together: a client certificate needs its key');
  const read = (name: keyof ClientTlsPaths): Buffer | undefined => {
    const path = paths[name];
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(`--${name} ${path}${origins[name] === undefined ? '' : ` (from ${origins[name]})`} cannot be read: ${(error as Error).message}`);
    }
  };
  const [ca, cert, key] = [read('cacert'), read('cert'), read('key')];
  if (ca === undefined && cert === undefined) return undefined;
  return { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) };
}
