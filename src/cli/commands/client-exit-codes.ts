// What the exit status of a client command (put, get, txn, member, ...) means, so a script
// can tell "nothing happened, try again" from "it may have happened" from "it was refused".
import { BeaverVaultError } from '../../client/index.js';

export const CLIENT_EXIT_CODES = {
  ok: 0,
  /** The cluster refused the request (invalid, too large, a lease or member that does not exist...). */
  failed: 1,
  /** The command line is wrong; nothing was sent. */
  usage: 2,
  /** No endpoint answered in time, or the cluster has no leader; nothing was changed. Retry. */
  unavailable: 3,
  /** A condition did not hold (a txn's compare, a put's condition); nothing was changed. */
  preconditionFailed: 4,
  /** `get` of a key that does not exist. */
  notFound: 5,
  /** A write was sent but its outcome is unknown: it may have committed. Read before retrying. */
  outcomeUnknown: 6,
} as const;

export type ClientExitCode = (typeof CLIENT_EXIT_CODES)[keyof typeof CLIENT_EXIT_CODES];

export const CLIENT_EXIT_CODES_HELP = `Exit codes of client commands:
  0  success
  1  the cluster refused the request (e.g. value too large, unknown lease or member)
  2  usage error; nothing was sent
  3  unavailable or timed out (no endpoint answered, no leader); nothing changed, retry
  4  precondition failed (a txn compare or put condition did not hold); nothing changed
  5  not found (get of a missing key)
  6  outcome unknown: a write may have committed; read before retrying`;

/** A command-line mistake, reported with the command's usage and exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function exitCodeOf(error: unknown): ClientExitCode {
  if (error instanceof UsageError) return CLIENT_EXIT_CODES.usage;
  if (!(error instanceof BeaverVaultError)) return CLIENT_EXIT_CODES.failed;
  if (error.mayHaveCommitted) return CLIENT_EXIT_CODES.outcomeUnknown;
  if (error.code === 'API_PRECONDITION_FAILED') return CLIENT_EXIT_CODES.preconditionFailed;
  if (error.retryable || error.code === 'CLIENT_UNAVAILABLE' || error.code === 'CLIENT_DEADLINE_EXCEEDED') return CLIENT_EXIT_CODES.unavailable;
  return CLIENT_EXIT_CODES.failed;
}
