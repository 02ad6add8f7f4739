// Simplifying a history before the search must never change the verdict, only the work.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { completed, unknownOutcome, type Operation } from './history.js';
import { checkLinearizability } from './linearizability.js';
import { registerModel, type RegisterInput, type RegisterOutput } from './models/register.js';
import { respondAsRegister } from './responders.js';
import { LINEARIZATION_SPACING, executeSequentially, type PlannedOperation } from './sequential-execution.js';

type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

const unsimplifiedRegisterModel = { ...registerModel, simplify: undefined };

function simplify(history: RegisterOperation[]): RegisterOperation[] {
  if (registerModel.simplify === undefined) throw new Error('the register model simplifies its histories');
  return [...registerModel.simplify(history)];
}

function read(call: number, returnTime: number, value: string | null): RegisterOperation {
  return completed(2, call, returnTime, { kind: 'read', key: 'x' }, { kind: 'read', value });
}

function unknownWrite(call: number, value: string): RegisterOperation {
  return unknownOutcome(1, call, { kind: 'write', key: 'x', value });
}

describe('simplifying register histories', () => {
  it('drops reads of unknown outcome and writes of unknown outcome that no read observed', () => {
    const unknownRead = unknownOutcome<RegisterInput, RegisterOutput>(3, 0, { kind: 'read', key: 'x' });
    const observed = unknownWrite(0, 'seen');
    expect(simplify([unknownRead, unknownWrite(0, 'unseen'), observed, read(10, 20, 'seen')])).toEqual([
      { ...observed, return: 20, output: { kind: 'write' } },
      read(10, 20, 'seen'),
    ]);
  });

  it('bounds the only write of a value by the earliest read of it', () => {
    const simplified = simplify([unknownWrite(0, 'v'), read(30, 40, 'v'), read(10, 20, 'v')]);
    expect(simplified[0]?.return).toBe(20);
  });

  it('leaves a write of unknown outcome alone when another write has the same value', () => {
    const known = completed<RegisterInput, RegisterOutput>(3, 0, 5, { kind: 'write', key: 'x', value: 'v' }, { kind: 'write' });
    const history = [known, unknownWrite(0, 'v'), read(10, 20, 'v')];
    expect(simplify(history)).toEqual(history);
    // The read may have seen the known write, and the unknown one taken effect much later.
    const overwritten = completed<RegisterInput, RegisterOutput>(3, 30, 40, { kind: 'write', key: 'x', value: 'w' }, { kind: 'write' });
    expect(checkLinearizability(registerModel, [...history, overwritten, read(50, 60, 'v')]).result).toBe('ok');
  });

  it('leaves a write alone when its value was read before it was called', () => {
    const history = [read(0, 5, 'v'), unknownWrite(10, 'v')];
    expect(simplify(history)).toEqual(history);
    expect(checkLinearizability(registerModel, history).result).toBe('illegal');
  });

  it('never changes the verdict, on histories that are linearizable or corrupted', () => {
    const key = fc.constantFrom('a', 'b');
    const value = fc.constantFrom('1', '2', '3', '4', '5', '6', '7', '8');
    const input: fc.Arbitrary<RegisterInput> = fc.oneof(
      fc.record({ kind: fc.constant('read' as const), key }),
      fc.record({ kind: fc.constant('write' as const), key, value }),
    );
    const outcome = fc.constantFrom('known', 'known', 'known', 'unknown-applied', 'unknown-lost') as fc.Arbitrary<PlannedOperation<RegisterInput>['outcome']>;
    const widening = fc.nat(3 * LINEARIZATION_SPACING);
    const plan = fc.array(fc.record({ clientId: fc.nat(4), input, callBefore: widening, returnAfter: widening, outcome }), { maxLength: 25 });
    const corruption = fc.option(fc.tuple(fc.nat(), value), { nil: undefined });
    fc.assert(
      fc.property(plan, corruption, (planned, corrupt) => {
        const history = [...executeSequentially(registerModel, respondAsRegister, planned)];
        const reads = history.flatMap((operation, index) => (operation.input.kind === 'read' && operation.output !== undefined ? [index] : []));
        if (corrupt !== undefined && reads.length > 0) {
          const victim = reads[corrupt[0] % reads.length]!;
          history[victim] = { ...history[victim]!, output: { kind: 'read', value: corrupt[1] } };
        }
        const simplified = checkLinearizability(registerModel, history).result;
        expect(simplified).toBe(checkLinearizability(unsimplifiedRegisterModel, history).result);
      }),
      { numRuns: 500 },
    );
  });
});
