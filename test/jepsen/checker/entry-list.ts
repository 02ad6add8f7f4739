// The doubly linked list of call and return entries that the WGL search walks. Linearizing an
// operation lifts its two entries out of the list; backtracking puts them back in place, in
// constant time, because a lifted entry keeps its own links.

import type { Operation } from './history.js';

export interface Entry {
  readonly kind: 'call' | 'return';
  /** The call or return time; an operation of unknown outcome returns at +Infinity. */
  readonly time: number;
  /** Index of the operation in its partition. */
  readonly operationIndex: number;
  /** Invariant: for a call, its return entry, which comes later in the list; else undefined. */
  readonly match: Entry | undefined;
  prev: Entry | undefined;
  next: Entry | undefined;
}

/**
 * Builds the list in time order behind a sentinel head and returns the head. At equal times a
 * call comes before a return, so operations that merely touch are treated as concurrent: the
 * clock cannot tell their order.
 */
export function buildEntryList(operations: readonly Operation<unknown, unknown>[]): Entry {
  const entries: Entry[] = [];
  operations.forEach((operation, operationIndex) => {
    const returnEntry: Entry = {
      kind: 'return',
      time: operation.return ?? Infinity,
      operationIndex,
      match: undefined,
      prev: undefined,
      next: undefined,
    };
    entries.push(
      { kind: 'call', time: operation.call, operationIndex, match: returnEntry, prev: undefined, next: undefined },
      returnEntry,
    );
  });
  entries.sort((a, b) => a.time - b.time || kindOrder(a) - kindOrder(b) || a.operationIndex - b.operationIndex);
  const head: Entry = { kind: 'return', time: -Infinity, operationIndex: -1, match: undefined, prev: undefined, next: undefined };
  let last = head;
  for (const entry of entries) {
    last.next = entry;
    entry.prev = last;
    last = entry;
  }
  return head;
}

function kindOrder(entry: Entry): number {
  return entry.kind === 'call' ? 0 : 1;
}

/** Removes a call entry and its return entry from the list. */
export function lift(call: Entry): void {
  const returnEntry = requireMatch(call);
  unlink(call);
  unlink(returnEntry);
}

/** Puts back the entries of the most recently lifted operation not yet put back. */
export function unlift(call: Entry): void {
  const returnEntry = requireMatch(call);
  relink(returnEntry);
  relink(call);
}

function unlink(entry: Entry): void {
  if (entry.prev === undefined) throw new Error('cannot lift the head of the entry list');
  entry.prev.next = entry.next;
  if (entry.next !== undefined) entry.next.prev = entry.prev;
}

function relink(entry: Entry): void {
  if (entry.prev === undefined) throw new Error('cannot put back the head of the entry list');
  entry.prev.next = entry;
  if (entry.next !== undefined) entry.next.prev = entry;
}

function requireMatch(call: Entry): Entry {
  if (call.match === undefined) throw new Error('only a call entry can be lifted');
  return call.match;
}
