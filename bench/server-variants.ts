// Server configurations bench:cluster --compare-with measures against the plain server: each
// writes the files it needs into `directory` and returns the flags every member gets.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SERVER_VARIANTS: Readonly<Record<string, (directory: string) => Promise<string[]>>> = {
  /** Encryption at rest with one 256-bit key: values, WAL payloads and snapshots sealed with AES-256-GCM. */
  encryption: async (directory) => {
    const keyFile = join(directory, 'encryption-keys');
    await writeFile(keyFile, `bench: ${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    return ['--encryption-key-file', keyFile];
  },
};
