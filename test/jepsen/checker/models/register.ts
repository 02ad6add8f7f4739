// One read/write register per key: a read returns the value of the last write to its key
// (null before any). Keys are independent, so histories are partitioned by key.

import { REJECTED, partitionByKey, type Model, type StepResult } from '../model.js';
import { HashedMap } from './hashed-map.js';

export type RegisterInput =
  | { readonly kind: 'read'; readonly key: string }
  | { readonly kind: 'write'; readonly key: string; readonly value: string };

export type RegisterOutput = { readonly kind: 'read'; readonly value: string | null } | { readonly kind: 'write' };

/** The value of every key written so far; a key never written reads as null. */
export type RegisterState = HashedMap<string>;

export const emptyRegisters: RegisterState = HashedMap.empty<string>({ canonical: (value) => value, equal: (a, b) => a === b });

/**
 * Reads and writes of one register, shared with the compare-and-set register. Unknown outcome
 * (output undefined): a write applies, a read changes nothing.
 */
export function stepReadOrWrite(
  state: RegisterState,
  input: RegisterInput,
  output: RegisterOutput | undefined,
): StepResult<RegisterState> {
  if (input.kind === 'write') return { ok: true, state: state.with(input.key, input.value) };
  if (output === undefined) return { ok: true, state };
  if (output.kind !== 'read') throw new Error(`a read of ${input.key} was recorded with a ${output.kind} output`);
  return (state.get(input.key) ?? null) === output.value ? { ok: true, state } : REJECTED;
}

export function describeRegisters(state: RegisterState): string {
  const entries = state.sortedEntries();
  return entries.length === 0 ? '(empty)' : entries.map(([key, value]) => `${key}=${value}`).join(' ');
}

export function describeReadOrWrite(input: RegisterInput, output: RegisterOutput | undefined): string {
  if (input.kind === 'write') return `write(${input.key}, ${input.value})${output === undefined ? ' -> unknown' : ''}`;
  if (output === undefined) return `read(${input.key}) -> unknown`;
  return `read(${input.key}) -> ${output.kind === 'read' ? String(output.value) : output.kind}`;
}

export const registerModel: Model<RegisterState, RegisterInput, RegisterOutput> = {
  init: () => emptyRegisters,
  step: stepReadOrWrite,
  hash: (state) => state.hash,
  equal: (a, b) => a.equals(b),
  partition: (history) => partitionByKey(history, (input) => input.key),
  describeOperation: describeReadOrWrite,
  describeState: describeRegisters,
};
