// How a failed call is recorded. A write recorded as `fail` is left out of the history, so
// `fail` is used only when the failure proves the write was not applied; everything else is
// `info`, an unknown outcome that the checker lets take effect at any time after its call, or
// never. A wrong `fail` would hide a lost update; a wrong `info` costs only search time.
import { BeaverVaultError } from '../../../src/client/index.js';
import type { Outcome } from './recorded-operation.js';

/**
 * Refusals that depend on the data, not on the cluster's health: the request reached the
 * state machine and was turned down as a whole.
 */
const REFUSED_BY_STATE_CODES = new Set(['MVCC_LEASE_NOT_FOUND', 'API_PRECONDITION_FAILED']);

export interface ClassifiedFailure {
  readonly outcome: Exclude<Outcome, 'ok'>;
  readonly error: string;
}

export function classifyFailure(thrown: unknown): ClassifiedFailure {
  if (!(thrown instanceof BeaverVaultError)) return { outcome: 'info', error: `unexpected: ${String(thrown)}` };
  // The client retries a write only when the attempt was refused before it was proposed or
  // never left the client (src/client/client-errors.ts): such a failure proves it was never
  // applied anywhere, and so does every earlier attempt of the same call.
  const certain = (thrown.retryable && !thrown.mayHaveCommitted) || REFUSED_BY_STATE_CODES.has(thrown.code);
  return { outcome: certain ? 'fail' : 'info', error: `${thrown.code}: ${thrown.message}` };
}
