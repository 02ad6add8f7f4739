// The MVCC store checked over a whole history in revision pieces: the same verdict as one
// search, a violation found however late it comes, a violation across a cut found, and a
// budget that runs out is an 'unknown', never an 'ok'.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { completed, unknownOutcome, type History, type Operation } from './history.js';
import { checkLinearizability } from './linearizability.js';
import { mvccStoreModel, type MvccInput, type MvccOutput } from './models/mvcc-store.js';
import { mvccStorePlan } from './random-plans.js';
import { respondAsMvccStore } from './responders.js';
import { checkInRevisionPieces } from './revision-pieces.js';
import { executeSequentially } from './sequential-execution.js';

type StoreOperation = Operation<MvccInput, MvccOutput>;

function knownHistory(operations: number, seed: number): StoreOperation[] {
  return [...executeSequentially(mvccStoreModel, respondAsMvccStore, mvccStorePlan({ operations, keys: 5, seed, overlapPointsMax: 3, unknownFraction: 0 }))];
}

/** The history with the get at or after `from` answering a value never written. */
function withCorruptedGet(history: readonly StoreOperation[], from: number): { history: StoreOperation[]; index: number } {
  const index = history.findIndex((operation, position) => position >= from && operation.input.kind === 'get');
  const corrupted = [...history];
  const victim = history[index]!;
  corrupted[index] = { ...victim, output: { ...(victim.output as Extract<MvccOutput, { kind: 'get' }>), value: 'never written' } };
  return { history: corrupted, index };
}

const GENEROUS_TIMEOUT_MS = 20_000;

describe('the MVCC store checked in revision pieces', () => {
  it('passes a long linearizable history, in several pieces', () => {
    const check = checkInRevisionPieces(knownHistory(3_000, 1), { timeoutMs: GENEROUS_TIMEOUT_MS });
    expect(check.result).toBe('ok');
    expect(check.result === 'ok' && check.pieces).toBeGreaterThan(5);
  });

  it('catches a read that never happened far past the first 400 operations', () => {
    const { history, index } = withCorruptedGet(knownHistory(3_000, 2), 2_500);
    expect(index).toBeGreaterThan(400);
    const check = checkInRevisionPieces(history, { timeoutMs: GENEROUS_TIMEOUT_MS });
    expect(check.result).toBe('illegal');
    expect(check.result === 'illegal' && check.report).toMatch(/^piece \d+ of \d+ .*\n.*get\(k\d\) -> never written/s);
  });

  it('catches a torn read of a transaction late in the history, which no single key shows', () => {
    const history = knownHistory(1_000, 3);
    const last = history.reduce((latest, operation) => Math.max(latest, operation.output!.revision, 0), 0);
    const end = history.reduce((latest, operation) => Math.max(latest, operation.return!), 0);
    const writeBoth = { kind: 'txn', compare: [], success: [{ kind: 'put', key: 'a', value: 'a2' }, { kind: 'put', key: 'b', value: 'b2' }], failure: [] } as const;
    history.push(
      completed(90, end + 10, end + 20, { kind: 'txn', compare: [], success: [{ kind: 'put', key: 'a', value: 'a1' }, { kind: 'put', key: 'b', value: 'b1' }], failure: [] }, { kind: 'txn', succeeded: true, revision: last + 1 }),
      completed(90, end + 30, end + 60, writeBoth, { kind: 'txn', succeeded: true, revision: last + 2 }),
      // Both read at the transaction's revision while it ran: a sees it, b does not.
      completed(91, end + 40, end + 50, { kind: 'get', key: 'a' }, { kind: 'get', value: 'a2', modRevision: last + 2, revision: last + 2 }),
      completed(91, end + 40, end + 50, { kind: 'get', key: 'b' }, { kind: 'get', value: 'b1', modRevision: last + 1, revision: last + 2 }),
    );
    expect(checkInRevisionPieces(history, { timeoutMs: GENEROUS_TIMEOUT_MS }).result).toBe('illegal');
  });

  it('catches an operation that returned before another was called yet has a later revision, across a cut', () => {
    const history: StoreOperation[] = [
      completed(0, 50, 60, { kind: 'put', key: 'k', value: 'v1' }, { kind: 'put', revision: 2 }),
      completed(1, 0, 10, { kind: 'put', key: 'k', value: 'v2' }, { kind: 'put', revision: 3 }),
    ];
    const check = checkInRevisionPieces(history, { timeoutMs: GENEROUS_TIMEOUT_MS, pieceOperationsMin: 1 });
    expect(check.result).toBe('illegal');
    expect(check.result === 'illegal' && check.report).toMatch(/returned before another was called/);
  });

  it('gives the verdict of one search over the whole history, whatever the piece size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 6 }), fc.option(fc.nat(), { nil: undefined }), (seed, pieceOperationsMin, corruptAt) => {
        const clean = knownHistory(30, seed);
        const history = corruptAt === undefined ? clean : shiftRevision(clean, corruptAt);
        const whole = checkLinearizability(mvccStoreModel, history, { timeoutMs: GENEROUS_TIMEOUT_MS }).result;
        expect(checkInRevisionPieces(history, { timeoutMs: GENEROUS_TIMEOUT_MS, pieceOperationsMin }).result).toBe(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('answers unknown, not ok, when its budget runs out', () => {
    const check = checkInRevisionPieces(knownHistory(3_000, 4), { timeoutMs: 0 });
    expect(check.result).toBe('unknown');
    expect(check.result === 'unknown' && check.reason).toMatch(/^no answer within 0 ms: stopped before piece 1 of \d+/);
  });

  it('refuses a write of unknown outcome, which has no revision to be placed by', () => {
    const history: History<MvccInput, MvccOutput> = [unknownOutcome(0, 0, { kind: 'put', key: 'k', value: 'v' })];
    expect(() => checkInRevisionPieces(history, { timeoutMs: GENEROUS_TIMEOUT_MS })).toThrow(/resolve it first/);
  });
});

/** The history with one operation's revision one off, up or down by the seed. */
function shiftRevision(history: readonly StoreOperation[], at: number): StoreOperation[] {
  const shifted = [...history];
  const victim = history[at % history.length]!;
  shifted[at % history.length] = { ...victim, output: { ...victim.output!, revision: victim.output!.revision + (at % 2 === 0 ? 1 : -1) } };
  return shifted;
}
