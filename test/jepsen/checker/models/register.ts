// One read/write register per key: a read returns the value of the last write to its key
// (null before any). Keys are independent, so histories are partitioned by key.

import type { History } from '../history.js';
import { REJECTED, partitionByKey, withoutUnknownReads, type Model, type StepResult } from '../model.js';
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

/**
 * Rewrites the writes of unknown outcome, which otherwise stay candidates to the end of the
 * search (reads of unknown outcome are dropped too, as for every model):
 * - A write whose value no read returned is dropped. Wherever it took effect, every read until
 *   the next write would have returned its value, and none did; so no read lies in that
 *   stretch, and without the write no read's result changes.
 * - The only write of a value some read returned did take effect, before that read returned:
 *   it gets the earliest such return as its own, and becomes a write of known outcome.
 */
function simplifyRegisterHistory(history: History<RegisterInput, RegisterOutput>): History<RegisterInput, RegisterOutput> {
  const writesOfValue = new Map<string, number>();
  const firstReturnOfValue = new Map<string, number>();
  for (const { input, output, return: returned } of history) {
    if (input.kind === 'write') {
      const id = keyedValue(input.key, input.value);
      writesOfValue.set(id, (writesOfValue.get(id) ?? 0) + 1);
    }
    if (input.kind !== 'read' || output?.kind !== 'read' || output.value === null || returned === undefined) continue;
    const id = keyedValue(input.key, output.value);
    firstReturnOfValue.set(id, Math.min(returned, firstReturnOfValue.get(id) ?? Infinity));
  }
  return withoutUnknownReads(history, (input) => input.kind === 'read').flatMap((operation) => {
    const { input } = operation;
    if (operation.output !== undefined || input.kind === 'read') return [operation];
    const readBy = firstReturnOfValue.get(keyedValue(input.key, input.value));
    if (readBy === undefined) return [];
    const onlyWriter = writesOfValue.get(keyedValue(input.key, input.value)) === 1;
    // A read that returned before the write was called is a violation the search will report.
    return [onlyWriter && readBy >= operation.call ? { ...operation, return: readBy, output: { kind: 'write' } } : operation];
  });
}

function keyedValue(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

export const registerModel: Model<RegisterState, RegisterInput, RegisterOutput> = {
  init: () => emptyRegisters,
  step: stepReadOrWrite,
  simplify: simplifyRegisterHistory,
  hash: (state) => state.hash,
  equal: (a, b) => a.equals(b),
  partition: (history) => partitionByKey(history, (input) => input.key),
  describeOperation: describeReadOrWrite,
  describeState: describeRegisters,
};
