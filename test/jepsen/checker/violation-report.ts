// Explains a history that is not linearizable: the longest linearizable prefix the search
// found, the state it leaves, and why none of the operations that could come next fits.

import type { Operation } from './history.js';
import type { Model } from './model.js';

export interface LinearizedOperation<State, Input, Output> {
  readonly operation: Operation<Input, Output>;
  readonly stateAfter: State;
}

/** An operation that real time allows right after the prefix, and whether the model does. */
export interface NextCandidate<Input, Output> {
  readonly operation: Operation<Input, Output>;
  /** True: the model rejects it in the state after the prefix. False: it fits there, but no
   * linearization of the remaining operations follows it. */
  readonly rejectedByModel: boolean;
}

export interface Violation<State, Input, Output> {
  /** The operations of the partition that is not linearizable (all of them if unpartitioned). */
  readonly operations: readonly Operation<Input, Output>[];
  readonly longestPrefix: readonly LinearizedOperation<State, Input, Output>[];
  readonly stateAfterPrefix: State;
  /** Ordered by call time; never empty. */
  readonly nextCandidates: readonly NextCandidate<Input, Output>[];
  /** The above as text for a human. */
  readonly report: string;
}

/** The report shows only the end of a long prefix: the violation is where it stops. */
const PREFIX_LINES_MAX = 20;

export function explainViolation<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  prefixIndexes: readonly number[],
  initialState: State = model.init(),
): Violation<State, Input, Output> {
  const longestPrefix: LinearizedOperation<State, Input, Output>[] = [];
  let state = initialState;
  for (const index of prefixIndexes) {
    const operation = operations[index]!;
    const step = model.step(state, operation.input, operation.output);
    if (!step.ok) throw new Error('the search linearized an operation the model rejects on replay: is step deterministic?');
    state = step.state;
    longestPrefix.push({ operation, stateAfter: state });
  }
  const nextCandidates = candidatesAfter(operations, new Set(prefixIndexes)).map((operation) => ({
    operation,
    rejectedByModel: !model.step(state, operation.input, operation.output).ok,
  }));
  const violation = { operations, longestPrefix, stateAfterPrefix: state, nextCandidates };
  return { ...violation, report: renderReport(model, violation) };
}

/**
 * The unlinearized operations that may be linearized next: each was called no later than the
 * earliest return among them (a call at the same time as a return counts as concurrent).
 */
function candidatesAfter<Input, Output>(
  operations: readonly Operation<Input, Output>[],
  linearized: ReadonlySet<number>,
): Operation<Input, Output>[] {
  const remaining = operations.filter((_, index) => !linearized.has(index));
  const earliestReturn = remaining.reduce((earliest, operation) => Math.min(earliest, operation.return ?? Infinity), Infinity);
  return remaining.filter((operation) => operation.call <= earliestReturn).sort((a, b) => a.call - b.call);
}

function renderReport<State, Input, Output>(
  model: Model<State, Input, Output>,
  violation: Omit<Violation<State, Input, Output>, 'report'>,
): string {
  const { operations, longestPrefix, stateAfterPrefix, nextCandidates } = violation;
  const lines = [
    `not linearizable: of ${operations.length} operations, the longest linearizable prefix found has ${longestPrefix.length}`,
  ];
  const hidden = Math.max(0, longestPrefix.length - PREFIX_LINES_MAX);
  if (hidden > 0) lines.push(`  ... ${hidden} earlier operations`);
  for (const { operation, stateAfter } of longestPrefix.slice(hidden)) {
    lines.push(`  ${describeTimed(model, operation)}  =>  ${model.describeState(stateAfter)}`);
  }
  lines.push(`state after the prefix: ${model.describeState(stateAfterPrefix)}`);
  lines.push('no operation that real time allows next can be linearized there:');
  for (const { operation, rejectedByModel } of nextCandidates) {
    const why = rejectedByModel ? 'impossible in this state' : 'possible here, but the rest cannot follow it';
    lines.push(`  ${describeTimed(model, operation)}: ${why}`);
  }
  return lines.join('\n');
}

function describeTimed<Input, Output>(model: Model<unknown, Input, Output>, operation: Operation<Input, Output>): string {
  const returned = operation.return === undefined ? 'unknown' : String(operation.return);
  return `client ${operation.clientId} [${operation.call}, ${returned}] ${model.describeOperation(operation.input, operation.output)}`;
}
