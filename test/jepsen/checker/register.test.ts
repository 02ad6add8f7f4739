// The register model and the checker on read/write histories: the classic examples of Herlihy
// and Wing and of Lamport's atomic registers, and the anomalies a replicated store can show.

import { describe, expect, it } from 'vitest';
import { completed, historyFromEvents, unknownOutcome, type HistoryEvent, type Operation } from './history.js';
import { checkLinearizability } from './linearizability.js';
import { registerModel, type RegisterInput, type RegisterOutput } from './models/register.js';

type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

function write(clientId: number, call: number, returnTime: number, key: string, value: string): RegisterOperation {
  return completed(clientId, call, returnTime, { kind: 'write', key, value }, { kind: 'write' });
}

function read(clientId: number, call: number, returnTime: number, key: string, value: string | null): RegisterOperation {
  return completed(clientId, call, returnTime, { kind: 'read', key }, { kind: 'read', value });
}

function unknownWrite(clientId: number, call: number, key: string, value: string): RegisterOperation {
  return unknownOutcome(clientId, call, { kind: 'write', key, value });
}

function verdict(history: RegisterOperation[]): string {
  return checkLinearizability(registerModel, history).result;
}

describe('classic register histories', () => {
  it('a sequential history that follows the specification is linearizable', () => {
    expect(verdict([read(1, 0, 1, 'x', null), write(1, 2, 3, 'x', '1'), read(2, 4, 5, 'x', '1')])).toBe('ok');
  });

  it('a read concurrent with a write may return the old or the new value', () => {
    const write1 = write(1, 0, 100, 'x', '1');
    expect(verdict([write1, read(2, 10, 20, 'x', null)])).toBe('ok');
    expect(verdict([write1, read(2, 10, 20, 'x', '1')])).toBe('ok');
  });

  it('two reads inside one write may see old then new, but not new then old (new-old inversion)', () => {
    // Lamport's regular register allows the inversion; an atomic (linearizable) one does not.
    const slowWrite = write(1, 0, 100, 'x', '1');
    expect(verdict([slowWrite, read(2, 10, 20, 'x', null), read(3, 30, 40, 'x', '1')])).toBe('ok');
    expect(verdict([slowWrite, read(2, 10, 20, 'x', '1'), read(3, 30, 40, 'x', null)])).toBe('illegal');
  });

  it('overlapping reads may be linearized against the order of their calls', () => {
    // Porcupine's first register example: the later-called read returns the older value.
    const history = [write(0, 0, 100, 'x', '100'), read(1, 25, 75, 'x', '100'), read(2, 30, 60, 'x', null)];
    expect(verdict(history)).toBe('ok');
    // ...but not once the read of the older value starts after the read of the newer one ended.
    const inverted = [write(0, 0, 100, 'x', '100'), read(1, 25, 35, 'x', '100'), read(2, 40, 60, 'x', null)];
    expect(verdict(inverted)).toBe('illegal');
  });

  it('a read of a value never written is not linearizable', () => {
    expect(verdict([write(1, 0, 10, 'x', '1'), read(2, 5, 15, 'x', '2')])).toBe('illegal');
  });

  it('concurrent writes may take effect in either order, but all readers see the same order', () => {
    const writes = [write(1, 0, 50, 'x', 'a'), write(2, 0, 50, 'x', 'b')];
    expect(verdict([...writes, read(3, 60, 70, 'x', 'a'), read(4, 80, 90, 'x', 'a')])).toBe('ok');
    expect(verdict([...writes, read(3, 60, 70, 'x', 'b'), read(4, 80, 90, 'x', 'b')])).toBe('ok');
    expect(verdict([...writes, read(3, 60, 70, 'x', 'a'), read(4, 80, 90, 'x', 'b')])).toBe('illegal');
  });
});

describe('anomalies of a replicated store', () => {
  it('flags a stale read: a read returns an old value after a newer write completed', () => {
    const history = [
      write(1, 0, 10, 'k1', 'v3'),
      write(1, 20, 30, 'k1', 'v4'),
      write(1, 20, 30, 'k2', 'other'),
      read(2, 40, 50, 'k1', 'v3'),
    ];
    const check = checkLinearizability(registerModel, history);
    expect(check.result).toBe('illegal');
    if (check.result !== 'illegal') return;
    // The report says what happened: v3 was overwritten by v4 before the read began.
    expect(check.violation.operations.every((operation) => operation.input.key === 'k1')).toBe(true);
    expect(check.violation.longestPrefix.map((step) => registerModel.describeOperation(step.operation.input, step.operation.output))).toEqual([
      'write(k1, v3)',
      'write(k1, v4)',
    ]);
    expect(registerModel.describeState(check.violation.stateAfterPrefix)).toBe('k1=v4');
    expect(check.violation.nextCandidates).toEqual([{ operation: history[3], rejectedByModel: true }]);
    expect(check.violation.report).toContain('client 2 [40, 50] read(k1) -> v3: impossible in this state');
  });

  it('flags a lost write: an acknowledged write is never visible and later reads return the value before it', () => {
    const history = [
      write(1, 0, 10, 'k', 'before'),
      write(2, 20, 30, 'k', 'lost'),
      read(3, 40, 50, 'k', 'before'),
      write(1, 60, 70, 'k', 'after'),
      read(3, 80, 90, 'k', 'after'),
    ];
    expect(verdict(history)).toBe('illegal');
    // Had the write not been acknowledged, the same observations would be fine.
    expect(verdict([history[0]!, unknownWrite(2, 20, 'k', 'lost'), ...history.slice(2)])).toBe('ok');
  });

  it('flags a read of an uncommitted write: the read returns a value whose write failed definitively', () => {
    const events = (outcome: 'fail' | 'info'): HistoryEvent<RegisterInput, RegisterOutput>[] => [
      { kind: 'call', clientId: 1, time: 0, input: { kind: 'write', key: 'k', value: 'committed' } },
      { kind: 'ok', clientId: 1, time: 10, output: { kind: 'write' } },
      { kind: 'call', clientId: 2, time: 20, input: { kind: 'write', key: 'k', value: 'uncommitted' } },
      { kind: outcome, clientId: 2, time: 30 },
      { kind: 'call', clientId: 3, time: 40, input: { kind: 'read', key: 'k' } },
      { kind: 'ok', clientId: 3, time: 50, output: { kind: 'read', value: 'uncommitted' } },
    ];
    expect(verdict([...historyFromEvents(events('fail'))])).toBe('illegal');
    // A timeout (info) instead of a definite failure leaves the write possible.
    expect(verdict([...historyFromEvents(events('info'))])).toBe('ok');
  });
});

describe('operations of unknown outcome', () => {
  it('are accepted when a later read shows them', () => {
    expect(verdict([unknownWrite(1, 0, 'x', '1'), read(2, 10, 20, 'x', '1'), read(2, 30, 40, 'x', '1')])).toBe('ok');
  });

  it('are accepted when no read ever shows them: they may never take effect', () => {
    expect(verdict([unknownWrite(1, 0, 'x', '1'), read(2, 10, 20, 'x', null), read(2, 1000, 1010, 'x', null)])).toBe('ok');
  });

  it('may take effect long after their call, even after later writes', () => {
    const history = [
      write(1, 0, 10, 'x', '1'),
      unknownWrite(2, 5, 'x', '2'),
      read(3, 20, 30, 'x', '1'),
      write(1, 40, 50, 'x', '3'),
      read(3, 60, 70, 'x', '3'),
      read(3, 80, 90, 'x', '2'),
    ];
    expect(verdict(history)).toBe('ok');
  });

  it('cannot take effect before their call', () => {
    expect(verdict([read(1, 0, 10, 'x', '1'), unknownWrite(2, 20, 'x', '1')])).toBe('illegal');
  });

  it('take effect at most once: once overwritten, their value does not come back', () => {
    const history = [
      unknownWrite(1, 0, 'x', '1'),
      read(2, 10, 20, 'x', '1'),
      write(2, 30, 40, 'x', '2'),
      read(2, 50, 60, 'x', '1'),
    ];
    expect(verdict(history)).toBe('illegal');
  });

  it('an unknown read constrains nothing', () => {
    const unknownRead = unknownOutcome<RegisterInput, RegisterOutput>(1, 0, { kind: 'read', key: 'x' });
    expect(verdict([unknownRead, write(2, 10, 20, 'x', '1'), read(2, 30, 40, 'x', '1')])).toBe('ok');
  });
});

describe('history events', () => {
  it('pair each call with its client’s completion; an open call at the end has an unknown outcome', () => {
    const history = historyFromEvents<RegisterInput, RegisterOutput>([
      { kind: 'call', clientId: 1, time: 0, input: { kind: 'write', key: 'x', value: '1' } },
      { kind: 'call', clientId: 2, time: 1, input: { kind: 'read', key: 'x' } },
      { kind: 'ok', clientId: 2, time: 2, output: { kind: 'read', value: null } },
    ]);
    expect(history).toEqual([
      read(2, 1, 2, 'x', null),
      { clientId: 1, call: 0, return: undefined, input: { kind: 'write', key: 'x', value: '1' }, output: undefined },
    ]);
  });

  it('refuse a completion without a call, two open calls of one client, and time going backwards', () => {
    const call = { kind: 'call', clientId: 1, time: 5, input: { kind: 'read', key: 'x' } } as const;
    expect(() => historyFromEvents([{ kind: 'fail', clientId: 1, time: 0 }])).toThrow(/never called/);
    expect(() => historyFromEvents([call, { ...call, time: 6 }])).toThrow(/previous operation was open/);
    expect(() => historyFromEvents([call, { kind: 'info', clientId: 1, time: 4 }])).toThrow(/monotonic/);
  });
});
