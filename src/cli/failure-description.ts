// Turns a failure (at start, or one that stopped a running node) into one line an operator
// can act on and an exit code that tells a supervisor whether restarting can help
// (see exit-codes.ts).

import { ConfigError } from '../config/index.js';
import { EncryptionError } from '../encryption/errors.js';
import { isNodeError } from '../node/errors.js';
import { DurableStorageError } from '../storage/errors.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { TlsFileError } from '../tls/certificate-material.js';
import { JoinError } from './join-request.js';

export interface FailureDescription {
  readonly exitCode: ExitCode;
  readonly message: string;
}

const DATA_DIR_CODES = new Set([
  'NODE_DATA_DIR_LOCKED',
  'NODE_CLUSTER_MISMATCH',
  'NODE_IDENTITY_MISMATCH',
  'NODE_IDENTITY_INVALID',
  'NODE_SNAPSHOT_MISSING',
  'NODE_REMOVED',
]);
const PORT_UNAVAILABLE_PATTERN = /EADDRINUSE|EACCES|address already in use|No address added/i;

export function describeFailure(error: unknown): FailureDescription {
  if (error instanceof ConfigError) return { exitCode: EXIT_CODES.usage, message: error.message };
  const text = error instanceof Error ? `${error.message}` : String(error);
  const oneLine = text.replace(/\s*\n\s*/g, ' ');
  // A certificate file to fix: restarting will not help, as with any other configuration problem.
  if (error instanceof TlsFileError) return { exitCode: EXIT_CODES.usage, message: error.message };
  if (error instanceof JoinError) return { exitCode: EXIT_CODES.joinFailed, message: oneLine };
  // A bad key file is a setting to fix; data sealed under a key the file lacks needs that key.
  if (error instanceof EncryptionError) {
    const exitCode = error.code === 'ENCRYPTION_KEY_FILE_INVALID' ? EXIT_CODES.usage : EXIT_CODES.dataDirRefused;
    return { exitCode, message: `${error.code}: ${oneLine}` };
  }
  if (error instanceof DurableStorageError || (isNodeError(error) && DATA_DIR_CODES.has(error.code))) {
    return { exitCode: EXIT_CODES.dataDirRefused, message: `${error.code}: ${oneLine}` };
  }
  if (PORT_UNAVAILABLE_PATTERN.test(text) || PORT_UNAVAILABLE_PATTERN.test(String((error as NodeJS.ErrnoException)?.code))) {
    return { exitCode: EXIT_CODES.portUnavailable, message: `a listening port is unavailable (in use by another process?): ${oneLine}` };
  }
  return { exitCode: EXIT_CODES.failure, message: oneLine };
}
