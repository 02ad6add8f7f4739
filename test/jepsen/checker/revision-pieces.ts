// A whole MVCC store history checked in pieces cut by revision, so that the search stays small
// however long the run was.
//
// Why cutting is exact: every response of the store names the revision it took effect at, and
// the revision never goes back, so every linearization orders the operations by revision, the
// change that made a revision first among the operations at it. Cut the operations, sorted by
// revision, between revision R and R + 1: a linearization of the whole is one of the
// operations up to R followed by one of the rest, and the state between them is the same
// whichever linearization of the first part the search found, because the changes up to R
// apply in revision order whatever the order of the reads around them. The one thing the
// pieces do not see is real time across a cut: an operation of a later piece that returned
// before an operation of an earlier piece was called. That costs one comparison per piece: its
// earliest return against the latest call of every piece before it.
//
// Time quiescence (a moment with no operation in flight) would cut soundly too, but ten busy
// clients leave almost none, and an operation of unknown outcome stays in flight to the end.
// Operations of unknown outcome have no revision to be placed by: the caller resolves the
// writes first (../checks/resolve-unknown-writes.ts), and reads of unknown outcome, which
// constrain nothing, are dropped here.

import type { History, Operation } from './history.js';
import { checkLinearizability } from './linearizability.js';
import { mvccStoreModel, type MvccInput, type MvccOutput, type MvccState } from './models/mvcc-store.js';

type StoreOperation = Operation<MvccInput, MvccOutput>;

export interface RevisionPiecesOptions {
  /** Wall-clock budget for all pieces; past it the answer is 'unknown'. */
  readonly timeoutMs: number;
  /**
   * A piece is closed at the first revision boundary after it holds this many operations. A
   * few hundred known operations search in milliseconds (README, Timings).
   */
  readonly pieceOperationsMin?: number;
}

export type RevisionPiecesResult =
  | { readonly result: 'ok'; readonly pieces: number }
  | { readonly result: 'unknown'; readonly reason: string }
  | { readonly result: 'illegal'; readonly report: string };

const PIECE_OPERATIONS_MIN_DEFAULT = 300;

export function checkInRevisionPieces(history: History<MvccInput, MvccOutput>, options: RevisionPiecesOptions): RevisionPiecesResult {
  const deadline = performance.now() + options.timeoutMs;
  const pieces = revisionPieces(knownOperations(history), options.pieceOperationsMin ?? PIECE_OPERATIONS_MIN_DEFAULT);
  const crossing = realTimeAcrossCuts(pieces);
  if (crossing !== undefined) return { result: 'illegal', report: crossing };
  let state: MvccState = mvccStoreModel.init();
  for (const [index, piece] of pieces.entries()) {
    const remainingMs = deadline - performance.now();
    const where = `piece ${index + 1} of ${pieces.length} (revisions ${revisionOf(piece[0]!)}-${revisionOf(piece.at(-1)!)}, ${piece.length} operations)`;
    if (remainingMs <= 0) return { result: 'unknown', reason: `no answer within ${options.timeoutMs} ms: stopped before ${where}` };
    const check = checkLinearizability(mvccStoreModel, piece, { timeoutMs: remainingMs, initialState: state });
    if (check.result === 'illegal') return { result: 'illegal', report: `${where}, from ${mvccStoreModel.describeState(state)}\n${check.violation.report}` };
    if (check.result === 'unknown') return { result: 'unknown', reason: `no answer within ${options.timeoutMs} ms: ${where} undecided` };
    if (check.finalState === undefined) throw new Error('the MVCC store model does not partition, so a check that passed has a final state');
    state = check.finalState;
  }
  return { result: 'ok', pieces: pieces.length };
}

/** The operations of known outcome; throws on a write of unknown outcome, which the caller must resolve. */
function knownOperations(history: History<MvccInput, MvccOutput>): StoreOperation[] {
  const known = history.filter((operation) => operation.output !== undefined);
  const unresolved = history.find((operation) => operation.output === undefined && operation.input.kind !== 'get');
  if (unresolved !== undefined) throw new Error(`a write of unknown outcome cannot be placed by revision; resolve it first: ${mvccStoreModel.describeOperation(unresolved.input, undefined)}`);
  return known;
}

function revisionOf(operation: StoreOperation): number {
  return operation.output!.revision;
}

/** The operations sorted by revision, cut at revision boundaries into pieces of at least `operationsMin`. */
function revisionPieces(operations: readonly StoreOperation[], operationsMin: number): StoreOperation[][] {
  const sorted = [...operations].sort((a, b) => revisionOf(a) - revisionOf(b));
  const pieces: StoreOperation[][] = [];
  let piece: StoreOperation[] = [];
  for (const operation of sorted) {
    const last = piece.at(-1);
    if (last !== undefined && piece.length >= operationsMin && revisionOf(operation) !== revisionOf(last)) {
      pieces.push(piece);
      piece = [];
    }
    piece.push(operation);
  }
  if (piece.length > 0) pieces.push(piece);
  return pieces;
}

/** A report when an operation of a later piece returned before one of an earlier piece was called; undefined if none did. */
function realTimeAcrossCuts(pieces: readonly StoreOperation[][]): string | undefined {
  let latestCall: StoreOperation | undefined;
  for (const piece of pieces) {
    const earliestReturn = piece.reduce((earliest, operation) => (operation.return! < earliest.return! ? operation : earliest));
    if (latestCall !== undefined && earliestReturn.return! < latestCall.call) {
      return [
        'not linearizable: an operation returned before another was called, yet took effect at a later revision',
        `  ${describe(earliestReturn)}`,
        `  returned before this one was called:`,
        `  ${describe(latestCall)}`,
      ].join('\n');
    }
    const latestHere = piece.reduce((latest, operation) => (operation.call > latest.call ? operation : latest));
    if (latestCall === undefined || latestHere.call > latestCall.call) latestCall = latestHere;
  }
  return undefined;
}

function describe(operation: StoreOperation): string {
  return `client ${operation.clientId} [${operation.call}, ${operation.return}] ${mvccStoreModel.describeOperation(operation.input, operation.output)}`;
}
