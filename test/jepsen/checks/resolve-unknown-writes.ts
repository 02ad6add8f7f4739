// Writes of unknown outcome, placed by the event log read after healing, so that the MVCC
// store check can order the whole history by revision (../checker/revision-pieces.ts) instead
// of searching every subset of them that might have taken effect. etcd's robustness suite
// patches its histories from the watch events the same way.
//
// Why it is sound: the log (auto-compaction off) holds every change from revision 1, and every
// workload value is unique, so on a correct server a put, txn or cas of unknown outcome whose
// value is in the log took effect at that event's revision, and one whose value is not never
// changed anything (a cas whose compare failed changes nothing either). A delete carries no
// value: the log's deletes of a key that no acknowledged delete claims are matched to the
// unknown deletes of that key, the earliest called to the lowest revision; on a correct server
// some delete called before each of those events made it, and k deletes called before the
// k-th event exist, so the earliest k of them may stand for whichever really did (they are
// the same request). Unmatched deletes changed nothing. A write placed at revision r took
// effect before any operation answered with a revision of r or later returned, which bounds
// it in real time.
// On a faulty server the log itself may be wrong: a value a read returned but the log lacks
// makes that read impossible, which is the lost write the check should report.

import type { History, Operation } from '../checker/history.js';
import type { MvccInput, MvccOutput } from '../checker/models/mvcc-store.js';
import type { LoggedEvent } from './event-log.js';

type StoreOperation = Operation<MvccInput, MvccOutput>;

export interface ResolvedHistory {
  readonly history: StoreOperation[];
  /** Writes of unknown outcome now of known outcome, at the revision the log shows. */
  readonly placed: number;
  /** Writes of unknown outcome left out: the log shows no change they made. */
  readonly dropped: number;
}

export function resolveUnknownWrites(history: History<MvccInput, MvccOutput>, eventLog: readonly LoggedEvent[]): ResolvedHistory {
  const putRevisions = new Map<string, number>();
  for (const event of eventLog) if (event.type === 'put' && event.value !== null && !putRevisions.has(event.value)) putRevisions.set(event.value, event.revision);
  const deleteRevisions = unclaimedDeletes(history, eventLog);
  const bound = returnBounds(history);
  const resolved: StoreOperation[] = [];
  let placed = 0;
  let dropped = 0;
  for (const operation of [...history].sort((a, b) => a.call - b.call)) {
    if (operation.output !== undefined || operation.input.kind === 'get') {
      resolved.push(operation);
      continue;
    }
    const revision = operation.input.kind === 'delete' ? deleteRevisions.get(operation.input.key)?.shift() : putRevisions.get(firstPutValue(operation.input) ?? '');
    if (revision === undefined) {
      dropped++;
      continue;
    }
    placed++;
    resolved.push({ ...operation, return: Math.max(operation.call, bound(revision)), output: placedOutput(operation.input, revision) });
  }
  return { history: resolved, placed, dropped };
}

function firstPutValue(input: MvccInput): string | undefined {
  if (input.kind === 'put') return input.value;
  if (input.kind !== 'txn') return undefined;
  const put = input.success.find((write) => write.kind === 'put');
  return put?.kind === 'put' ? put.value : undefined;
}

function placedOutput(input: MvccInput, revision: number): MvccOutput {
  switch (input.kind) {
    case 'put':
      return { kind: 'put', revision };
    case 'delete':
      return { kind: 'delete', deleted: 1, revision };
    case 'txn':
      return { kind: 'txn', succeeded: true, revision };
    case 'get':
      throw new Error('a get changes nothing and is never placed');
  }
}

/** Per key, ascending, the revisions of the log's deletes that no delete of known outcome answered with. */
function unclaimedDeletes(history: History<MvccInput, MvccOutput>, eventLog: readonly LoggedEvent[]): Map<string, number[]> {
  const claimed = new Set<string>();
  for (const { input, output } of history) if (input.kind === 'delete' && output?.kind === 'delete' && output.deleted > 0) claimed.add(`${input.key}@${output.revision}`);
  const unclaimed = new Map<string, number[]>();
  for (const event of [...eventLog].sort((a, b) => a.revision - b.revision)) {
    if (event.type !== 'delete' || claimed.has(`${event.key}@${event.revision}`)) continue;
    const revisions = unclaimed.get(event.key);
    if (revisions === undefined) unclaimed.set(event.key, [event.revision]);
    else revisions.push(event.revision);
  }
  return unclaimed;
}

/**
 * For a revision r, the earliest return of an operation that answered with a revision of r or
 * later (it took effect after r was made), or just after the history's end when none did.
 */
function returnBounds(history: History<MvccInput, MvccOutput>): (revision: number) => number {
  const answered = history.filter((operation) => operation.output !== undefined).sort((a, b) => a.output!.revision - b.output!.revision);
  const end = history.reduce((latest, operation) => Math.max(latest, operation.call, operation.return ?? -Infinity), 0) + 1;
  // earliestFrom[i]: the earliest return among answered[i..].
  const earliestFrom: number[] = new Array<number>(answered.length + 1).fill(end);
  for (let index = answered.length - 1; index >= 0; index--) earliestFrom[index] = Math.min(earliestFrom[index + 1]!, answered[index]!.return!);
  return (revision) => {
    let low = 0;
    let high = answered.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (answered[middle]!.output!.revision < revision) low = middle + 1;
      else high = middle;
    }
    return earliestFrom[low]!;
  };
}
