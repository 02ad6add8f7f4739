// Decides whether a history is linearizable with respect to a model: the algorithm of Wing and
// Gong, with Lowe's just-in-time linearization and the cache of (linearized set, state) pairs
// of Horn and Kroening, as Porcupine implements it. Independent partitions are checked one by
// one, and the whole check gives up with 'unknown' at a wall-clock deadline. Beyond Porcupine,
// a model may simplify the history first and may tell the search that a state is a dead end.

import { buildEntryList, lift, unlift, type Entry } from './entry-list.js';
import type { History, Operation } from './history.js';
import { LinearizedSet, type LinearizedSetSnapshot } from './linearized-set.js';
import type { Model } from './model.js';
import { explainViolation, type Violation } from './violation-report.js';

export interface CheckOptions<State> {
  /** Wall-clock budget for the whole check; past it the answer is 'unknown'. */
  readonly timeoutMs?: number;
  /**
   * The state before the first operation, model.init() by default: a history checked in pieces
   * starts each piece where the previous one ended. Every partition starts from it.
   */
  readonly initialState?: State;
}

export type CheckResult<State, Input, Output> =
  /**
   * `finalState`: the state after the linearization found, when the model does not partition
   * the history. Another linearization may end elsewhere unless the outputs fix the order of
   * every change (as the MVCC store's revisions do).
   */
  | { readonly result: 'ok'; readonly finalState?: State }
  | { readonly result: 'unknown'; readonly reason: string }
  | { readonly result: 'illegal'; readonly violation: Violation<State, Input, Output> };

/** Reading the clock costs more than a step, so the search looks at it only this often. */
const STEPS_PER_DEADLINE_CHECK = 1024;

export function checkLinearizability<State, Input, Output>(
  model: Model<State, Input, Output>,
  history: History<Input, Output>,
  options: CheckOptions<State> = {},
): CheckResult<State, Input, Output> {
  const deadline = performance.now() + (options.timeoutMs ?? Infinity);
  const initialState = options.initialState ?? model.init();
  const simplified = model.simplify?.(history) ?? history;
  const partitions = model.partition?.(simplified) ?? [simplified];
  let timedOut = false;
  let finalState: State | undefined;
  for (const operations of partitions) {
    const outcome = searchPartition(model, operations, deadline, initialState);
    if (outcome.result === 'illegal') {
      return { result: 'illegal', violation: explainViolation(model, operations, outcome.longestPrefix, initialState) };
    }
    if (outcome.result === 'unknown') timedOut = true;
    else finalState = outcome.finalState;
  }
  if (timedOut) {
    return { result: 'unknown', reason: `no answer within ${options.timeoutMs} ms and no partition found illegal` };
  }
  return partitions.length === 1 ? { result: 'ok', finalState } : { result: 'ok' };
}

type SearchOutcome<State> =
  | { readonly result: 'ok'; readonly finalState: State }
  | { readonly result: 'unknown' }
  | { readonly result: 'illegal'; readonly longestPrefix: readonly number[] };

interface CacheEntry<State> {
  readonly linearized: LinearizedSetSnapshot;
  readonly state: State;
}

interface Linearization<State> {
  readonly call: Entry;
  readonly stateBefore: State;
}

/**
 * The WGL search over one partition. It walks the entry list from the front: at a call it tries
 * to linearize that operation next (a step the model accepts into a (set, state) pair not seen
 * before), lifts it out and starts again from the front; at a return, the operation returning
 * there was not linearized on this path, so it undoes the last linearization and tries the
 * entry after that one's call. A step after which the operation with the earliest return can
 * no longer be linearized (when the model can tell) is not taken.
 */
function searchPartition<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  deadline: number,
  initialState: State,
): SearchOutcome<State> {
  const head = buildEntryList(operations);
  const linearized = new LinearizedSet(operations.length);
  const cache = new Map<number, CacheEntry<State>[]>();
  const path: Linearization<State>[] = [];
  const longest = new LongestPath();
  let state = initialState;
  let entry = head.next;
  let steps = 0;
  while (entry !== undefined) {
    if (++steps % STEPS_PER_DEADLINE_CHECK === 0 && performance.now() > deadline) return { result: 'unknown' };
    if (entry.kind === 'call') {
      const operation = operations[entry.operationIndex]!;
      const step = model.step(state, operation.input, operation.output);
      const possible = step.ok && leavesNextPossible(model, operations, entry, step.state);
      if (step.ok && !possible) longest.grew(path, entry);
      if (possible && rememberIfNew(model, cache, linearized, entry.operationIndex, step.state)) {
        path.push({ call: entry, stateBefore: state });
        longest.grew(path);
        state = step.state;
        lift(entry);
        entry = head.next;
      } else {
        entry = entry.next;
      }
    } else if (entry.time === Infinity) {
      // Every call before this entry is unlinearized on this path and every return from here on
      // is at +Infinity, so all operations left have unknown outcomes: they never took effect.
      return { result: 'ok', finalState: state };
    } else {
      const undone = path.pop();
      if (undone === undefined) return { result: 'illegal', longestPrefix: longest.operationIndexes() };
      longest.shrank(path.length);
      state = undone.stateBefore;
      linearized.remove(undone.call.operationIndex);
      unlift(undone.call);
      entry = undone.call.next;
    }
  }
  return { result: 'ok', finalState: state };
}

/**
 * Whether, after linearizing `call`, the operation with the earliest return among the rest is
 * still possible. It must be linearized before anything called after its return, so a state
 * in which it never can be is a dead end however the search continues.
 */
function leavesNextPossible<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  call: Entry,
  state: State,
): boolean {
  if (model.stillPossible === undefined) return true;
  // Only calls precede `call`: the walk that reached it stops at the first return.
  let entry: Entry | undefined = call;
  while (entry !== undefined && (entry.kind === 'call' || entry.operationIndex === call.operationIndex)) entry = entry.next;
  if (entry === undefined || entry.time === Infinity) return true;
  const next = operations[entry.operationIndex]!;
  return model.stillPossible(state, next.input, next.output!);
}

/**
 * Adds the operation to the linearized set and records the pair (set, state) in the cache.
 * If the pair was there already, this path leads nowhere new: the set is restored and the
 * answer is false.
 */
function rememberIfNew<State>(
  model: Model<State, unknown, unknown>,
  cache: Map<number, CacheEntry<State>[]>,
  linearized: LinearizedSet,
  operationIndex: number,
  state: State,
): boolean {
  linearized.add(operationIndex);
  const key = (Math.imul(linearized.hash, 31) + model.hash(state)) | 0;
  const bucket = cache.get(key);
  if (bucket?.some((seen) => linearized.equals(seen.linearized) && model.equal(seen.state, state))) {
    linearized.remove(operationIndex);
    return false;
  }
  const entry = { linearized: linearized.snapshot(), state };
  if (bucket === undefined) cache.set(key, [entry]);
  else bucket.push(entry);
  return true;
}

/**
 * The deepest search path seen, for the explanation of a violation. Copying the path at every
 * new depth would be quadratic; only the part that changed since the last copy is copied, so
 * the total work is at most one copy per linearization.
 */
class LongestPath {
  private readonly operations: number[] = [];
  /** Invariant: the first `sharedLength` entries equal those of the current search path. */
  private sharedLength = 0;

  /**
   * Records the current path if it is the deepest so far, followed by `deadEnd` if given: a
   * step that fits after the path although nothing can follow it, so a report shows why.
   */
  grew(path: readonly Linearization<unknown>[], deadEnd?: Entry): void {
    if (path.length + (deadEnd === undefined ? 0 : 1) <= this.operations.length) return;
    for (let i = this.sharedLength; i < path.length; i++) this.operations[i] = path[i]!.call.operationIndex;
    this.sharedLength = path.length;
    if (deadEnd !== undefined) this.operations[path.length] = deadEnd.operationIndex;
  }

  shrank(pathLength: number): void {
    this.sharedLength = Math.min(this.sharedLength, pathLength);
  }

  operationIndexes(): readonly number[] {
    return this.operations;
  }
}
