// One register per key with compare-and-set: cas(key, expected, value) writes value only if the
// key holds expected (null: the key was never written), and says whether it did. Keys are
// independent, so histories are partitioned by key.

import { REJECTED, partitionByKey, withoutUnknownReads, type Model, type StepResult } from '../model.js';
import {
  describeReadOrWrite,
  describeRegisters,
  emptyRegisters,
  stepReadOrWrite,
  type RegisterInput,
  type RegisterOutput,
  type RegisterState,
} from './register.js';

export type CasInput =
  | RegisterInput
  | { readonly kind: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string };

export type CasOutput = RegisterOutput | { readonly kind: 'cas'; readonly succeeded: boolean };

/**
 * A compare-and-set succeeded exactly when the key held the expected value. Unknown outcome
 * (output undefined): it applies if and only if the comparison holds in this state.
 */
function stepCas(
  state: RegisterState,
  input: Extract<CasInput, { kind: 'cas' }>,
  output: CasOutput | undefined,
): StepResult<RegisterState> {
  const matches = (state.get(input.key) ?? null) === input.expected;
  if (output !== undefined) {
    if (output.kind !== 'cas') throw new Error(`a cas of ${input.key} was recorded with a ${output.kind} output`);
    if (output.succeeded !== matches) return REJECTED;
  }
  return { ok: true, state: matches ? state.with(input.key, input.value) : state };
}

/** Narrows the output of a read or a write; a cas output there is a bug in the recorder. */
function readOrWriteOutput(input: RegisterInput, output: CasOutput | undefined): RegisterOutput | undefined {
  if (output?.kind === 'cas') throw new Error(`a ${input.kind} of ${input.key} was recorded with a cas output`);
  return output;
}

function describeCas(input: CasInput, output: CasOutput | undefined): string {
  if (input.kind !== 'cas') return describeReadOrWrite(input, readOrWriteOutput(input, output));
  const verdict = output === undefined ? 'unknown' : output.kind === 'cas' && output.succeeded ? 'ok' : 'failed';
  return `cas(${input.key}, ${String(input.expected)} -> ${input.value}) -> ${verdict}`;
}

export const casRegisterModel: Model<RegisterState, CasInput, CasOutput> = {
  init: () => emptyRegisters,
  step: (state, input, output) => {
    if (input.kind === 'cas') return stepCas(state, input, output);
    return stepReadOrWrite(state, input, readOrWriteOutput(input, output));
  },
  simplify: (history) => withoutUnknownReads(history, (input) => input.kind === 'read'),
  hash: (state) => state.hash,
  equal: (a, b) => a.equals(b),
  partition: (history) => partitionByKey(history, (input) => input.key),
  describeOperation: describeCas,
  describeState: describeRegisters,
};
