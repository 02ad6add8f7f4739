import { describe, expect, it } from 'vitest';
import { BeaverVaultError } from '../../../src/client/index.js';
import { classifyFailure } from '../workload/outcome-of-error.js';
import type { RecordedOperation, WorkloadInput, WorkloadOutput } from '../workload/recorded-operation.js';
import type { Operation } from '../checker/history.js';
import type { MvccInput, MvccOutput } from '../checker/models/mvcc-store.js';
import { mvccHistory } from './checker-histories.js';
import type { LoggedEvent } from './event-log.js';
import { passed } from './check-outcome.js';
import { stateDifference } from './convergence-check.js';
import { checkMvccStore, checkRegisters } from './linearizability-checks.js';
import { lostWriteProblems } from './lost-writes-check.js';
import { resolveUnknownWrites } from './resolve-unknown-writes.js';
import { eventLogProblems, watcherProblem } from './watch-checks.js';

type MvccOperation = Operation<MvccInput, MvccOutput>;

function ok(clientId: number, call: number, returned: number, input: WorkloadInput, output: WorkloadOutput): RecordedOperation {
  return { clientId, call, return: returned, input, outcome: 'ok', output };
}

function put(revision: number, key: string, value: string, previous: LoggedEvent['previous'] = null): LoggedEvent {
  return { revision, type: 'put', key, value, previous };
}

// k1 written at 2 and 3, deleted at 4; a txn puts k2 and k3 at 5.
const LOG: LoggedEvent[] = [
  put(2, 'k1', 'a'),
  put(3, 'k1', 'b', { value: 'a', modRevision: 2 }),
  { revision: 4, type: 'delete', key: 'k1', value: null, previous: { value: 'b', modRevision: 3 } },
  put(5, 'k2', 'c'),
  put(5, 'k3', 'd'),
];

describe('watch checks', () => {
  it('accept a log with every revision and prev_kv as replayed, and a watcher that saw exactly its part', () => {
    expect(eventLogProblems(LOG, 5)).toEqual([]);
    expect(watcherProblem({ watcherId: 0, startRevision: 3, events: LOG.slice(1), restarts: 1 }, LOG)).toBeUndefined();
  });

  it('find a revision missing from the log, a wrong prev_kv, and a log that stops short', () => {
    expect(eventLogProblems([LOG[0]!, ...LOG.slice(2)], 5)).toEqual(expect.arrayContaining([expect.stringContaining('no event at revision 3')]));
    expect(eventLogProblems([LOG[0]!, put(3, 'k1', 'b', null)], 3)).toEqual([expect.stringContaining('prev_kv of put k1=b at 3')]);
    expect(eventLogProblems(LOG.slice(0, 2), 5)).toEqual([expect.stringContaining('ends at revision 3')]);
  });

  it('find a watcher gap, a repeated event, an event out of order, a wrong prev_kv and a missing tail', () => {
    const watcher = (events: LoggedEvent[]) => ({ watcherId: 1, startRevision: 2, events, restarts: 0 });
    expect(watcherProblem(watcher([LOG[0]!, LOG[2]!, LOG[3]!, LOG[4]!]), LOG)).toMatch(/^gap: expected put k1=b at 3/);
    expect(watcherProblem(watcher([LOG[0]!, LOG[1]!, LOG[1]!, LOG[2]!, LOG[3]!, LOG[4]!]), LOG)).toMatch(/^delivered twice: put k1=b at 3/);
    expect(watcherProblem(watcher([LOG[1]!, LOG[0]!, ...LOG.slice(2)]), LOG)).toMatch(/^out of order: put k1=a at 2/);
    expect(watcherProblem(watcher([LOG[0]!, put(3, 'k1', 'b', null), ...LOG.slice(2)]), LOG)).toMatch(/^wrong event/);
    expect(watcherProblem(watcher(LOG.slice(0, 3)), LOG)).toMatch(/^missing 2 events from put k2=c at 5/);
  });
});

describe('lost writes', () => {
  it('accept acknowledged writes found at their revisions', () => {
    const operations = [
      ok(0, 0, 1, { kind: 'put', key: 'k1', value: 'a' }, { kind: 'put', revision: 2 }),
      ok(1, 2, 3, { kind: 'delete', key: 'k1' }, { kind: 'delete', revision: 4, deleted: 1 }),
      ok(2, 2, 3, { kind: 'txn', writes: [{ key: 'k2', value: 'c' }, { key: 'k3', value: 'd' }] }, { kind: 'txn', revision: 5 }),
    ];
    expect(lostWriteProblems(operations, LOG)).toEqual([]);
  });

  it('find an acknowledged put not in the log, a refused value that took effect, and a revoked lease key still there', () => {
    const operations: RecordedOperation[] = [
      ok(0, 0, 1, { kind: 'put', key: 'k1', value: 'z' }, { kind: 'put', revision: 3 }),
      { clientId: 1, call: 0, return: 1, input: { kind: 'put', key: 'k2', value: 'c' }, outcome: 'fail', error: 'NODE_NOT_LEADER' },
      ok(2, 0, 1, { kind: 'cas', key: 'k3', expected: 'x', value: 'd' }, { kind: 'cas', revision: 5, succeeded: false }),
      ok(3, 5, 6, { kind: 'lease-revoke', key: 'k3', leaseId: '7' }, { kind: 'lease-revoke' }),
    ];
    const problems = lostWriteProblems(operations, LOG);
    expect(problems).toEqual([
      expect.stringContaining("acknowledged put of k1=z at revision 3"),
      expect.stringContaining('revoked lease 7, yet its key k3 still exists'),
      expect.stringContaining('k2=c at revision 5'),
      expect.stringContaining('k3=d at revision 5'),
    ]);
  });
});

describe('linearizability of the recorded history', () => {
  const write = (clientId: number, call: number, returned: number, key: string, value: string) => ok(clientId, call, returned, { kind: 'put', key, value }, { kind: 'put', revision: 0 });
  const read = (clientId: number, call: number, returned: number, key: string, value: string | null) => ok(clientId, call, returned, { kind: 'get', key }, { kind: 'get', value, modRevision: 0 });

  it('accepts reads of absent keys, deletes and compare-and-set', () => {
    const history = [
      read(0, 0, 1, 'k', null),
      write(1, 2, 3, 'k', 'a'),
      ok(0, 4, 5, { kind: 'cas', key: 'k', expected: 'a', value: 'b' }, { kind: 'cas', revision: 0, succeeded: true }),
      ok(1, 6, 7, { kind: 'cas', key: 'k', expected: null, value: 'c' }, { kind: 'cas', revision: 0, succeeded: false }),
      ok(0, 8, 9, { kind: 'delete', key: 'k' }, { kind: 'delete', revision: 0, deleted: 1 }),
      read(1, 10, 11, 'k', null),
    ];
    expect(checkRegisters(history, 5_000).result).toBe('ok');
  });

  it('flags a stale read and names the key', () => {
    const outcome = checkRegisters([write(0, 0, 1, 'k', 'a'), write(0, 2, 3, 'k', 'b'), read(1, 4, 5, 'k', 'a')], 5_000);
    expect(outcome.result).toBe('illegal');
    expect(outcome.detail).toMatch(/^key k: not linearizable/);
  });

  it('turns a revoke into a delete of unknown outcome and leaves gets and failures out of the MVCC history', () => {
    const history = mvccHistory([
      write(0, 0, 1, 'k', 'a'),
      read(1, 2, 3, 'k', 'a'),
      { clientId: 2, call: 4, return: 5, input: { kind: 'put', key: 'k', value: 'x' }, outcome: 'fail' },
      ok(0, 6, 7, { kind: 'lease-revoke', key: 'lease', leaseId: '1' }, { kind: 'lease-revoke' }),
    ]);
    expect(history.map((operation) => [operation.input.kind, operation.output === undefined])).toEqual([
      ['put', false],
      ['delete', true],
    ]);
  });
});

describe('writes of unknown outcome placed by the event log', () => {
  const unknownPut = (clientId: number, call: number, key: string, value: string): MvccOperation => ({ clientId, call, return: undefined, input: { kind: 'put', key, value }, output: undefined });
  const unknownDelete = (clientId: number, call: number, key: string): MvccOperation => ({ clientId, call, return: undefined, input: { kind: 'delete', key }, output: undefined });
  const knownGet = (call: number, returned: number, revision: number): MvccOperation => ({ clientId: 9, call, return: returned, input: { kind: 'get', key: 'k2' }, output: { kind: 'get', value: 'c', modRevision: 5, revision } });

  it('places a put whose value the log holds at its revision, returning by the first answer at that revision or later, and drops one it does not hold', () => {
    const { history, placed, dropped } = resolveUnknownWrites([unknownPut(0, 0, 'k1', 'b'), unknownPut(1, 1, 'k1', 'never'), knownGet(20, 30, 5)], LOG);
    expect([placed, dropped]).toEqual([1, 1]);
    expect(history.map((operation) => [operation.input.kind, operation.return, operation.output?.revision])).toEqual([
      ['put', 30, 3],
      ['get', 30, 5],
    ]);
  });

  it('matches the log\'s unclaimed deletes of a key to its unknown deletes, the earliest called first, and drops the rest', () => {
    const claimed: MvccOperation = { clientId: 3, call: 0, return: 1, input: { kind: 'delete', key: 'k1' }, output: { kind: 'delete', deleted: 1, revision: 4 } };
    const log = [...LOG, { revision: 6, type: 'delete', key: 'k1', value: null, previous: null } as const];
    const { history, placed, dropped } = resolveUnknownWrites([claimed, unknownDelete(1, 5, 'k1'), unknownDelete(2, 2, 'k1')], log);
    expect([placed, dropped]).toEqual([1, 1]);
    expect(history.find((operation) => operation.clientId === 2)?.output).toEqual({ kind: 'delete', deleted: 1, revision: 6 });
  });
});

describe('the MVCC store check over a whole run', () => {
  const acknowledgedPut = (call: number, value: string, revision: number) => ok(0, call, call + 1, { kind: 'put', key: 'k', value }, { kind: 'put', revision });
  const readTxn = (call: number, value: string, modRevision: number, revision: number) =>
    ok(9, call, call + 1, { kind: 'read-txn', keys: ['k'] }, { kind: 'read-txn', revision, reads: [{ value, modRevision }] });
  /** 500 acknowledged puts of k, one after another, each read back (1,000 operations); and the log they leave. */
  const run = Array.from({ length: 500 }, (_, index) => [acknowledgedPut(index * 10, `v${index}`, index + 2), readTxn(index * 10 + 5, `v${index}`, index + 2, index + 2)]).flat();
  const runLog = Array.from({ length: 500 }, (_, index) => put(index + 2, 'k', `v${index}`));

  it('passes a run whose reads follow the log, and fails one with a read of a write the log lost, after operation 400', () => {
    expect(checkMvccStore(run, runLog, 20_000).result).toBe('ok');
    // A write of unknown outcome read by one client, then gone: what a member that applied an
    // entry the next leader never had serves.
    const lost: RecordedOperation = { clientId: 1, call: 5_000, return: undefined, input: { kind: 'put', key: 'k', value: 'lost' }, outcome: 'info' };
    const outcome = checkMvccStore([...run, lost, readTxn(5_002, 'lost', 502, 502)], runLog, 20_000);
    expect(outcome.result).toBe('illegal');
    expect(outcome.detail).toMatch(/showed no change by 1\n/);
  });

  it('fails the run when the check does not finish within its budget', () => {
    const outcome = checkMvccStore(run, runLog, 0);
    expect(outcome.result).toBe('unknown');
    expect(passed([outcome])).toBe(false);
    expect(outcome.detail).toMatch(/^undecided, which fails the run: no answer within 0 ms/);
  });
});

describe('replica convergence', () => {
  const logState = new Map([['k', { value: 'a', modRevision: 7 }]]);

  it('accepts a member holding the log\'s values at the log\'s revisions', () => {
    expect(stateDifference(logState, new Map([['k', { value: 'a', modRevision: 7 }]]))).toBeUndefined();
  });

  it('flags a member holding the same value at another revision, as one whose applied entries diverged does', () => {
    expect(stateDifference(logState, new Map([['k', { value: 'a', modRevision: 6 }]]))).toBe('k is a@6, the log says a@7');
  });
});

describe('outcome of a failed call', () => {
  const failure = (retryable: boolean, mayHaveCommitted: boolean, code = 'NODE_NOT_LEADER') => new BeaverVaultError({ code, message: 'm', retryable, mayHaveCommitted });

  it('is fail only when the call provably never took effect', () => {
    expect(classifyFailure(failure(true, false)).outcome).toBe('fail');
    expect(classifyFailure(failure(false, false, 'MVCC_LEASE_NOT_FOUND')).outcome).toBe('fail');
    expect(classifyFailure(failure(false, true, 'NODE_TIMEOUT')).outcome).toBe('info');
    expect(classifyFailure(failure(false, false, 'CLIENT_INTERNAL')).outcome).toBe('info');
    expect(classifyFailure(new Error('boom')).outcome).toBe('info');
  });
});
