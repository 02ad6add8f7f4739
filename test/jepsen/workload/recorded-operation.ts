// What the workload's clients do and what they saw, one record per operation, in the terms a
// Jepsen history uses: `ok` with the result, `fail` when the operation certainly did not take
// effect, `info` when its outcome is unknown. Every workload key lives under KEY_PREFIX, so a
// watch on the prefix sees every change the workload makes and nothing else.

export const KEY_PREFIX = 'jepsen/';

/** The value a read reports for a key that does not exist. */
export type ReadValue = string | null;

export interface KeyRead {
  readonly value: ReadValue;
  /** 0 for a key that does not exist. */
  readonly modRevision: number;
}

export type WorkloadInput =
  | { readonly kind: 'get'; readonly key: string }
  | { readonly kind: 'put'; readonly key: string; readonly value: string }
  | { readonly kind: 'delete'; readonly key: string }
  /** A txn: if the key holds `expected` (null: it does not exist), put `value`. */
  | { readonly kind: 'cas'; readonly key: string; readonly expected: ReadValue; readonly value: string }
  /** A txn without compares that puts every key at one revision. */
  | { readonly kind: 'txn'; readonly writes: readonly { readonly key: string; readonly value: string }[] }
  /** A read-only txn: every key read at one revision. */
  | { readonly kind: 'read-txn'; readonly keys: readonly string[] }
  | { readonly kind: 'lease-grant'; readonly ttlSeconds: number }
  /** A put of the lease's own key, attached to the lease. */
  | { readonly kind: 'lease-put'; readonly key: string; readonly value: string; readonly leaseId: string }
  /** Revoking the lease deletes its own key, the only key ever attached to it. */
  | { readonly kind: 'lease-revoke'; readonly key: string; readonly leaseId: string };

export type WorkloadKind = WorkloadInput['kind'];

export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['get', 'put', 'delete', 'cas', 'txn', 'read-txn', 'lease-grant', 'lease-put', 'lease-revoke'];

/** `revision` is the response header's: the store's revision after the operation took effect. */
export type WorkloadOutput =
  | ({ readonly kind: 'get' } & KeyRead)
  | { readonly kind: 'put' | 'txn' | 'lease-put'; readonly revision: number }
  | { readonly kind: 'delete'; readonly revision: number; readonly deleted: number }
  | { readonly kind: 'cas'; readonly revision: number; readonly succeeded: boolean }
  | { readonly kind: 'read-txn'; readonly revision: number; readonly reads: readonly KeyRead[] }
  | { readonly kind: 'lease-grant'; readonly leaseId: string }
  | { readonly kind: 'lease-revoke' };

export type Outcome = 'ok' | 'fail' | 'info';

/**
 * One operation. Times are milliseconds on the run's one monotonic clock.
 * Invariant: `output` is set exactly when `outcome` is 'ok'; `return` is set unless the run
 * ended with the operation still open (then the outcome is 'info').
 */
export interface RecordedOperation {
  readonly clientId: number;
  readonly input: WorkloadInput;
  readonly call: number;
  readonly return: number | undefined;
  readonly outcome: Outcome;
  readonly output?: WorkloadOutput;
  /** The error's code and message, for fail and info. */
  readonly error?: string;
}

/** The keys an operation reads or writes. */
export function keysOf(input: WorkloadInput): readonly string[] {
  switch (input.kind) {
    case 'txn':
      return input.writes.map((write) => write.key);
    case 'read-txn':
      return input.keys;
    case 'lease-grant':
      return [];
    default:
      return [input.key];
  }
}
