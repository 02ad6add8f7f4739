// The compare-and-set register: a cas succeeds exactly when the key holds the expected value,
// and of several concurrent cas from the same value at most one can succeed.

import { describe, expect, it } from 'vitest';
import { completed, unknownOutcome, type Operation } from './history.js';
import { checkLinearizability } from './linearizability.js';
import { casRegisterModel, type CasInput, type CasOutput } from './models/cas-register.js';

type CasOperation = Operation<CasInput, CasOutput>;

function write(clientId: number, call: number, returnTime: number, key: string, value: string): CasOperation {
  return completed(clientId, call, returnTime, { kind: 'write', key, value }, { kind: 'write' });
}

function read(clientId: number, call: number, returnTime: number, key: string, value: string | null): CasOperation {
  return completed(clientId, call, returnTime, { kind: 'read', key }, { kind: 'read', value });
}

function cas(
  clientId: number,
  [call, returnTime]: [number, number],
  key: string,
  [expected, value]: [string | null, string],
  succeeded: boolean,
): CasOperation {
  return completed(clientId, call, returnTime, { kind: 'cas', key, expected, value }, { kind: 'cas', succeeded });
}

function unknownCas(clientId: number, call: number, key: string, expected: string | null, value: string): CasOperation {
  return unknownOutcome(clientId, call, { kind: 'cas', key, expected, value });
}

function verdict(history: CasOperation[]): string {
  return checkLinearizability(casRegisterModel, history).result;
}

describe('compare-and-set register', () => {
  it('a cas succeeds exactly when the key holds the expected value', () => {
    const written = write(1, 0, 10, 'x', '1');
    expect(verdict([written, cas(1, [20, 30], 'x', ['1', '2'], true), read(1, 40, 50, 'x', '2')])).toBe('ok');
    expect(verdict([written, cas(1, [20, 30], 'x', ['0', '2'], false), read(1, 40, 50, 'x', '1')])).toBe('ok');
    expect(verdict([written, cas(1, [20, 30], 'x', ['0', '2'], true)])).toBe('illegal');
    expect(verdict([written, cas(1, [20, 30], 'x', ['1', '2'], false)])).toBe('illegal');
  });

  it('a failed cas leaves the value unchanged', () => {
    expect(verdict([write(1, 0, 10, 'x', '1'), cas(1, [20, 30], 'x', ['0', '2'], false), read(1, 40, 50, 'x', '2')])).toBe('illegal');
  });

  it('a cas expecting null succeeds only on a key never written', () => {
    expect(verdict([cas(1, [0, 10], 'x', [null, '1'], true), cas(2, [20, 30], 'x', [null, '2'], false)])).toBe('ok');
    expect(verdict([cas(1, [0, 10], 'x', [null, '1'], true), cas(2, [20, 30], 'x', [null, '2'], true)])).toBe('illegal');
  });

  it('of two concurrent cas from the same value, one may succeed but not both', () => {
    const start = write(1, 0, 10, 'x', '0');
    expect(verdict([start, cas(2, [20, 40], 'x', ['0', 'a'], true), cas(3, [20, 40], 'x', ['0', 'b'], false)])).toBe('ok');
    expect(verdict([start, cas(2, [20, 40], 'x', ['0', 'a'], true), cas(3, [20, 40], 'x', ['0', 'b'], true)])).toBe('illegal');
  });

  it('a chain of concurrent cas is accepted in the one order that works', () => {
    // Called in the reverse of the order in which they must take effect.
    const history = [
      write(1, 0, 10, 'x', '0'),
      cas(2, [20, 60], 'x', ['2', '3'], true),
      cas(3, [21, 60], 'x', ['1', '2'], true),
      cas(4, [22, 60], 'x', ['0', '1'], true),
      read(1, 70, 80, 'x', '3'),
    ];
    expect(verdict(history)).toBe('ok');
    expect(verdict([...history.slice(0, 4), read(1, 70, 80, 'x', '2')])).toBe('illegal');
  });

  it('a cas of unknown outcome may have succeeded or not, but only if its comparison held', () => {
    const start = write(1, 0, 10, 'x', '0');
    expect(verdict([start, unknownCas(2, 20, 'x', '0', '1'), read(1, 30, 40, 'x', '1')])).toBe('ok');
    expect(verdict([start, unknownCas(2, 20, 'x', '0', '1'), read(1, 30, 40, 'x', '0')])).toBe('ok');
    expect(verdict([start, unknownCas(2, 20, 'x', '5', '1'), read(1, 30, 40, 'x', '1')])).toBe('illegal');
  });

  it('cas on one key does not see writes to another', () => {
    expect(verdict([write(1, 0, 10, 'y', '0'), cas(1, [20, 30], 'x', ['0', '1'], true)])).toBe('illegal');
  });
});

describe('a Jepsen-style single-key history with timeouts (after Porcupine’s etcd cases)', () => {
  // Five clients on one key; client 3's cas times out. The bad variant differs in one read.
  function history(finalRead: string): CasOperation[] {
    return [
      write(0, 0, 5, 'k', '1'),
      cas(1, [3, 12], 'k', ['1', '2'], true),
      read(2, 10, 20, 'k', '2'),
      unknownCas(3, 15, 'k', '2', '4'),
      write(4, 18, 25, 'k', '3'),
      read(0, 26, 30, 'k', '3'),
      cas(1, [28, 35], 'k', ['3', '0'], false),
      write(2, 29, 33, 'k', '4'),
      read(4, 36, 40, 'k', finalRead),
    ];
  }

  it('is linearizable as recorded', () => {
    expect(verdict(history('4'))).toBe('ok');
  });

  it('is not when the last read returns what only the failed cas would have written', () => {
    expect(verdict(history('0'))).toBe('illegal');
  });
});
