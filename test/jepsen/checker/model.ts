// The sequential specification a history is checked against, as in Porcupine: a deterministic
// state machine over operations, plus what the checker needs to cache states and to explain a
// violation.

import type { History } from './history.js';

/** The verdict of one step: the operation was possible in the state, and what followed. */
export type StepResult<State> = { readonly ok: true; readonly state: State } | { readonly ok: false };

export interface Model<State, Input, Output> {
  /** The state before any operation. */
  init(): State;
  /**
   * Applies an operation that returned `output` in `state`, or says it could not have.
   * `output` is undefined when the outcome is unknown: then the step must succeed in every
   * state and apply whatever the operation would have done (the checker separately allows
   * the operation never to take effect). Must not mutate `state`.
   */
  step(state: State, input: Input, output: Output | undefined): StepResult<State>;
  /**
   * Whether an operation of known outcome can still be linearized in `state` or in a state
   * that follows it (a revision never goes back). The search gives up a state in which the
   * operation that must be linearized next cannot be; without this, it finds out only after
   * trying every operation that fits before it. True is always safe; a false where some
   * continuation exists would hide a linearization.
   */
  stillPossible?(state: State, input: Input, output: Output): boolean;
  /** A hash of a state for the cache; equal states must hash equal. A 32-bit integer. */
  hash(state: State): number;
  equal(a: State, b: State): boolean;
  /**
   * Rewrites a history, before partitioning, into one with exactly the same verdict that is
   * cheaper to search: an operation of unknown outcome stays a candidate to the end of the
   * search, so dropping those that cannot matter, or bounding when one must have happened,
   * saves whole branches. A violation report shows the rewritten operations.
   */
  simplify?(history: History<Input, Output>): History<Input, Output>;
  /**
   * Splits a history into independent parts, each checked on its own from `init()`; valid
   * only when the model is a product of independent models (one register per key). Leave
   * undefined when operations interact (a global revision).
   */
  partition?(history: History<Input, Output>): History<Input, Output>[];
  /** One line for a report, e.g. `put(k1, v3) -> revision 7`; output undefined is unknown. */
  describeOperation(input: Input, output: Output | undefined): string;
  describeState(state: State): string;
}

/** A step result for a state the operation could not have been applied in. */
export const REJECTED: StepResult<never> = { ok: false };

/** Groups operations by a key, keeping their order; the usual `partition` of keyed models. */
export function partitionByKey<Input, Output>(
  history: History<Input, Output>,
  keyOf: (input: Input) => string,
): History<Input, Output>[] {
  const byKey = new Map<string, History<Input, Output>[number][]>();
  for (const operation of history) {
    const key = keyOf(operation.input);
    const group = byKey.get(key);
    if (group === undefined) byKey.set(key, [operation]);
    else group.push(operation);
  }
  return [...byKey.values()];
}

/**
 * Drops the reads of unknown outcome. They change nothing and constrain nothing, so they fit
 * anywhere; kept, each would double the sets of linearized operations the search can reach.
 */
export function withoutUnknownReads<Input, Output>(
  history: History<Input, Output>,
  isRead: (input: Input) => boolean,
): History<Input, Output> {
  return history.filter((operation) => operation.output !== undefined || !isRead(operation.input));
}
