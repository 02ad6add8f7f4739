// The MVCC store with its one global revision: each change gets the next revision, every
// response reports the revision at which it took effect, and that ties all keys together.

import { describe, expect, it } from 'vitest';
import { completed, unknownOutcome, type Operation } from './history.js';
import { checkLinearizability } from './linearizability.js';
import { mvccStoreModel, type Compare, type MvccInput, type MvccOutput, type TxnWrite } from './models/mvcc-store.js';

type StoreOperation = Operation<MvccInput, MvccOutput>;
type Interval = [call: number, returnTime: number];

function put(clientId: number, [call, returnTime]: Interval, key: string, value: string, revision: number): StoreOperation {
  return completed(clientId, call, returnTime, { kind: 'put', key, value }, { kind: 'put', revision });
}

function get(
  clientId: number,
  [call, returnTime]: Interval,
  key: string,
  [value, modRevision]: [string | null, number],
  revision: number,
): StoreOperation {
  return completed(clientId, call, returnTime, { kind: 'get', key }, { kind: 'get', value, modRevision, revision });
}

function del(clientId: number, [call, returnTime]: Interval, key: string, deleted: number, revision: number): StoreOperation {
  return completed(clientId, call, returnTime, { kind: 'delete', key }, { kind: 'delete', deleted, revision });
}

function txn(
  clientId: number,
  [call, returnTime]: Interval,
  [compare, success, failure]: [Compare[], TxnWrite[], TxnWrite[]],
  succeeded: boolean,
  revision: number,
): StoreOperation {
  return completed(clientId, call, returnTime, { kind: 'txn', compare, success, failure }, { kind: 'txn', succeeded, revision });
}

function verdict(history: StoreOperation[]): string {
  return checkLinearizability(mvccStoreModel, history).result;
}

/** Create-if-absent, the usual etcd idiom: version(key) = 0 then put. */
function createIfAbsent(key: string, value: string): [Compare[], TxnWrite[], TxnWrite[]] {
  return [[{ key, target: 'version', operator: '=', version: 0 }], [{ kind: 'put', key, value }], []];
}

describe('MVCC store: revisions', () => {
  it('a fresh store is at revision 1 and each write takes the next revision', () => {
    const history = [
      get(1, [0, 1], 'a', [null, 0], 1),
      put(1, [2, 3], 'a', 'x', 2),
      put(1, [4, 5], 'b', 'y', 3),
      get(1, [6, 7], 'a', ['x', 2], 3),
      put(1, [8, 9], 'a', 'z', 4),
      get(1, [10, 11], 'a', ['z', 4], 4),
    ];
    expect(verdict(history)).toBe('ok');
  });

  it('concurrent writes take consecutive revisions in either order', () => {
    const aFirst = [put(1, [0, 10], 'a', 'x', 2), put(2, [0, 10], 'b', 'y', 3)];
    const bFirst = [put(1, [0, 10], 'a', 'x', 3), put(2, [0, 10], 'b', 'y', 2)];
    expect(verdict([...aFirst, get(3, [20, 30], 'b', ['y', 3], 3)])).toBe('ok');
    expect(verdict([...bFirst, get(3, [20, 30], 'b', ['y', 2], 3)])).toBe('ok');
  });

  it('flags two writes with the same revision', () => {
    expect(verdict([put(1, [0, 10], 'a', 'x', 2), put(2, [0, 10], 'b', 'y', 2)])).toBe('illegal');
    expect(verdict([put(1, [0, 10], 'a', 'x', 2), put(2, [20, 30], 'a', 'y', 2)])).toBe('illegal');
  });

  it('flags a read whose revision went backwards', () => {
    const writes = [put(1, [0, 10], 'a', 'x', 2), put(1, [20, 30], 'b', 'y', 3)];
    const firstRead = get(2, [40, 50], 'a', ['x', 2], 3);
    expect(verdict([...writes, firstRead, get(3, [60, 70], 'a', ['x', 2], 3)])).toBe('ok');
    expect(verdict([...writes, firstRead, get(3, [60, 70], 'a', ['x', 2], 2)])).toBe('illegal');
  });

  it('flags a read whose mod revision is not that of the write it returns', () => {
    const writes = [put(1, [0, 10], 'a', 'x', 2), put(1, [20, 30], 'b', 'y', 3)];
    expect(verdict([...writes, get(2, [40, 50], 'a', ['x', 3], 3)])).toBe('illegal');
  });

  it('the global revision ties keys together where per-key registers would not', () => {
    // Revision 3 means both concurrent puts had taken effect, so key a cannot be missing.
    const history = [
      put(1, [0, 100], 'a', 'x', 2),
      put(2, [0, 100], 'b', 'y', 3),
      get(3, [10, 20], 'b', ['y', 3], 3),
      get(4, [30, 40], 'a', [null, 0], 3),
    ];
    expect(verdict(history)).toBe('illegal');
    expect(verdict([...history.slice(0, 3), get(4, [30, 40], 'a', ['x', 2], 3)])).toBe('ok');
  });
});

describe('MVCC store: deletes and transactions', () => {
  it('a delete of a present key takes a revision; of a missing key, it does not', () => {
    const history = [
      put(1, [0, 10], 'a', 'x', 2),
      del(1, [20, 30], 'a', 1, 3),
      del(1, [40, 50], 'a', 0, 3),
      get(1, [60, 70], 'a', [null, 0], 3),
    ];
    expect(verdict(history)).toBe('ok');
    expect(verdict([...history.slice(0, 2), del(1, [40, 50], 'a', 0, 4)])).toBe('illegal');
    expect(verdict([...history.slice(0, 2), del(1, [40, 50], 'a', 1, 4)])).toBe('illegal');
  });

  it('a recreated key starts again at version 1', () => {
    const history = [
      put(1, [0, 10], 'a', 'x', 2),
      put(1, [11, 12], 'a', 'x2', 3),
      del(1, [20, 30], 'a', 1, 4),
      put(1, [40, 50], 'a', 'y', 5),
      txn(1, [60, 70], [[{ key: 'a', target: 'version', operator: '=', version: 1 }], [], []], true, 5),
    ];
    expect(verdict(history)).toBe('ok');
  });

  it('of two concurrent create-if-absent transactions, only one may succeed', () => {
    const one = txn(1, [0, 10], createIfAbsent('lock', 'one'), true, 2);
    expect(verdict([one, txn(2, [0, 10], createIfAbsent('lock', 'two'), false, 2)])).toBe('ok');
    expect(verdict([one, txn(2, [0, 10], createIfAbsent('lock', 'two'), true, 3)])).toBe('illegal');
  });

  it('a failed transaction runs its else branch, and one without writes keeps the revision', () => {
    const valueIs = (value: string): Compare => ({ key: 'a', target: 'value', operator: '=', value });
    const history = [
      put(1, [0, 10], 'a', 'x', 2),
      txn(1, [20, 30], [[valueIs('other')], [], [{ kind: 'put', key: 'b', value: 'else' }]], false, 3),
      txn(1, [40, 50], [[valueIs('x')], [], []], true, 3),
      get(1, [60, 70], 'b', ['else', 3], 3),
    ];
    expect(verdict(history)).toBe('ok');
    expect(verdict([history[0]!, txn(1, [20, 30], [[valueIs('x')], [], []], false, 2)])).toBe('illegal');
  });

  it('a value comparison on a missing key fails, whatever the operator', () => {
    const missing: Compare = { key: 'a', target: 'value', operator: '!=', value: 'x' };
    expect(verdict([txn(1, [0, 10], [[missing], [], []], false, 1)])).toBe('ok');
    expect(verdict([txn(1, [0, 10], [[missing], [], []], true, 1)])).toBe('illegal');
  });
});

describe('MVCC store: writes of unknown outcome', () => {
  const lost = unknownOutcome<MvccInput, MvccOutput>(1, 0, { kind: 'put', key: 'a', value: 'maybe' });

  it('may have taken a revision before a later write, or none', () => {
    expect(verdict([lost, put(2, [10, 20], 'b', 'y', 3), get(2, [30, 40], 'a', ['maybe', 2], 3)])).toBe('ok');
    expect(verdict([lost, put(2, [10, 20], 'b', 'y', 2), get(2, [30, 40], 'a', [null, 0], 2)])).toBe('ok');
  });

  it('take at most one revision', () => {
    expect(verdict([lost, put(2, [10, 20], 'b', 'y', 4)])).toBe('illegal');
  });

  it('cannot be both invisible and counted in the revision', () => {
    expect(verdict([lost, put(2, [10, 20], 'b', 'y', 3), get(2, [30, 40], 'a', [null, 0], 3)])).toBe('illegal');
  });
});

describe('MVCC store: violation report', () => {
  it('shows the revision at which a read could not have happened', () => {
    const history = [put(1, [0, 10], 'a', 'x', 2), put(1, [20, 30], 'a', 'y', 3), get(2, [40, 50], 'a', ['x', 2], 2)];
    const check = checkLinearizability(mvccStoreModel, history);
    expect(check.result).toBe('illegal');
    if (check.result !== 'illegal') return;
    expect(check.violation.report).toContain('state after the prefix: revision 3: a=y@3');
    expect(check.violation.report).toContain('client 2 [40, 50] get(a) -> x (mod 2) at revision 2: impossible in this state');
  });
});
