// The whole MVCC store as etcd v3 defines it, with its one global revision: every request that
// changes something increments the revision by exactly one, and every response carries the
// revision of the store at the moment it took effect. Operations on different keys interact
// through that revision, so this model is not partitioned.

import { REJECTED, withoutUnknownReads, type Model, type StepResult } from '../model.js';
import { HashedMap } from './hashed-map.js';

/** A fresh etcd store is at revision 1; its first write gets revision 2. */
const INITIAL_REVISION = 1;

export interface KeyRecord {
  readonly value: string;
  readonly createRevision: number;
  /** Invariant: createRevision <= modRevision <= the store's revision. */
  readonly modRevision: number;
  /** Puts since the key was (re)created; 1 after the first. */
  readonly version: number;
}

export interface MvccState {
  /** Invariant: the number of changing requests applied since INITIAL_REVISION. */
  readonly revision: number;
  readonly keys: HashedMap<KeyRecord>;
}

export type TxnWrite = { readonly kind: 'put'; readonly key: string; readonly value: string } | { readonly kind: 'delete'; readonly key: string };

export type CompareOperator = '=' | '!=' | '<' | '>';

/** As in etcd, a missing key has version 0, and any comparison of its value fails. */
export type Compare =
  | { readonly key: string; readonly target: 'version'; readonly operator: CompareOperator; readonly version: number }
  | { readonly key: string; readonly target: 'value'; readonly operator: CompareOperator; readonly value: string };

export type MvccInput =
  | TxnWrite
  | { readonly kind: 'get'; readonly key: string }
  | { readonly kind: 'txn'; readonly compare: readonly Compare[]; readonly success: readonly TxnWrite[]; readonly failure: readonly TxnWrite[] };

/** `revision` is the response header's revision; a get of a missing key has value null and modRevision 0. */
export type MvccOutput =
  | { readonly kind: 'put'; readonly revision: number }
  | { readonly kind: 'get'; readonly value: string | null; readonly modRevision: number; readonly revision: number }
  | { readonly kind: 'delete'; readonly deleted: number; readonly revision: number }
  | { readonly kind: 'txn'; readonly succeeded: boolean; readonly revision: number };

const emptyKeys = HashedMap.empty<KeyRecord>({
  canonical: (record) => `${record.value}\u0000${record.createRevision}\u0000${record.modRevision}\u0000${record.version}`,
  equal: (a, b) =>
    a.value === b.value && a.createRevision === b.createRevision && a.modRevision === b.modRevision && a.version === b.version,
});

/** Whether writes change the store: every put does, a delete only of a present key. */
function changesAnything(state: MvccState, writes: readonly TxnWrite[]): boolean {
  return writes.some((write) => write.kind === 'put' || state.keys.get(write.key) !== undefined);
}

/** Applies a request's writes under one new revision, or keeps the revision if none changes anything. */
function applyWrites(state: MvccState, writes: readonly TxnWrite[]): MvccState {
  if (!changesAnything(state, writes)) return state;
  const revision = state.revision + 1;
  let keys = state.keys;
  for (const write of writes) {
    const existing = keys.get(write.key);
    if (write.kind === 'delete') {
      keys = keys.without(write.key);
    } else if (existing === undefined) {
      keys = keys.with(write.key, { value: write.value, createRevision: revision, modRevision: revision, version: 1 });
    } else {
      keys = keys.with(write.key, { ...existing, value: write.value, modRevision: revision, version: existing.version + 1 });
    }
  }
  return { revision, keys };
}

function comparesHold(state: MvccState, compares: readonly Compare[]): boolean {
  return compares.every((compare) => compareHolds(state, compare));
}

function compareHolds(state: MvccState, compare: Compare): boolean {
  const record = state.keys.get(compare.key);
  if (compare.target === 'value') return record !== undefined && ordered(record.value, compare.operator, compare.value);
  return ordered(record?.version ?? 0, compare.operator, compare.version);
}

function ordered<T extends string | number>(actual: T, operator: CompareOperator, expected: T): boolean {
  switch (operator) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '<':
      return actual < expected;
    case '>':
      return actual > expected;
  }
}

/**
 * The next state, if the response matches what the request does in `state`. Most steps the
 * search tries are rejected, so the response is checked before the next state is built.
 */
function stepKnown(state: MvccState, input: MvccInput, output: MvccOutput): StepResult<MvccState> {
  if (output.kind !== input.kind) throw new Error(`a ${input.kind} of the store was recorded with a ${output.kind} output`);
  const revisionAfter = state.revision + (changesAnything(state, writesOf(state, input)) ? 1 : 0);
  if (output.revision !== revisionAfter || !respondsAsIn(state, input, output)) return REJECTED;
  return { ok: true, state: nextState(state, input) };
}

/** Whether a response, apart from its revision, is what the request gets in `state`. */
function respondsAsIn(state: MvccState, input: MvccInput, output: MvccOutput): boolean {
  const record = input.kind === 'txn' ? undefined : state.keys.get(input.key);
  switch (output.kind) {
    case 'get':
      return output.value === (record?.value ?? null) && output.modRevision === (record?.modRevision ?? 0);
    case 'delete':
      return output.deleted === (record === undefined ? 0 : 1);
    case 'txn':
      return input.kind === 'txn' && output.succeeded === comparesHold(state, input.compare);
    case 'put':
      return true;
  }
}

/** The writes a request performs in `state`: for a transaction, those of the branch its comparison picks. */
function writesOf(state: MvccState, input: MvccInput): readonly TxnWrite[] {
  switch (input.kind) {
    case 'get':
      return [];
    case 'put':
    case 'delete':
      return [input];
    case 'txn':
      return comparesHold(state, input.compare) ? input.success : input.failure;
  }
}

function nextState(state: MvccState, input: MvccInput): MvccState {
  return applyWrites(state, writesOf(state, input));
}

function describeWrite(write: TxnWrite): string {
  return write.kind === 'put' ? `put(${write.key}, ${write.value})` : `delete(${write.key})`;
}

function describeInput(input: MvccInput): string {
  if (input.kind !== 'txn') return input.kind === 'get' ? `get(${input.key})` : describeWrite(input);
  const compares = input.compare.map((c) => `${c.target}(${c.key}) ${c.operator} ${c.target === 'value' ? c.value : c.version}`);
  return `txn(if ${compares.join(' and ')} then [${input.success.map(describeWrite).join(', ')}] else [${input.failure.map(describeWrite).join(', ')}])`;
}

function describeOutput(output: MvccOutput | undefined): string {
  if (output === undefined) return 'unknown';
  switch (output.kind) {
    case 'put':
      return `revision ${output.revision}`;
    case 'get':
      return `${String(output.value)} (mod ${output.modRevision}) at revision ${output.revision}`;
    case 'delete':
      return `deleted ${output.deleted} at revision ${output.revision}`;
    case 'txn':
      return `${output.succeeded ? 'succeeded' : 'failed'} at revision ${output.revision}`;
  }
}

export const mvccStoreModel: Model<MvccState, MvccInput, MvccOutput> = {
  init: () => ({ revision: INITIAL_REVISION, keys: emptyKeys }),
  step: (state, input, output) => (output === undefined ? { ok: true, state: nextState(state, input) } : stepKnown(state, input, output)),
  simplify: (history) => withoutUnknownReads(history, (input) => input.kind === 'get'),
  stillPossible: (state, _input, output) => state.revision <= output.revision,
  hash: (state) => (Math.imul(state.revision, 0x9e3779b1) ^ state.keys.hash) | 0,
  equal: (a, b) => a.revision === b.revision && a.keys.equals(b.keys),
  describeOperation: (input, output) => `${describeInput(input)} -> ${describeOutput(output)}`,
  describeState: (state) => {
    const keys = state.keys.sortedEntries().map(([key, record]) => `${key}=${record.value}@${record.modRevision}`);
    return `revision ${state.revision}: ${keys.length === 0 ? '(empty)' : keys.join(' ')}`;
  },
};
