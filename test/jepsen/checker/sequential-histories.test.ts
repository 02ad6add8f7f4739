// Properties over generated histories: whatever a correct sequential system does, with any
// real-time overlap and any outcomes left unknown, is linearizable; and a history with a read
// that no execution could produce is not.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLinearizability } from './linearizability.js';
import type { Model } from './model.js';
import { casRegisterModel, type CasInput } from './models/cas-register.js';
import { mvccStoreModel, type MvccInput } from './models/mvcc-store.js';
import { registerModel, type RegisterInput } from './models/register.js';
import { respondAsCasRegister, respondAsMvccStore, respondAsRegister } from './responders.js';
import { LINEARIZATION_SPACING, executeSequentially, type PlannedOperation, type Responder } from './sequential-execution.js';

const key = fc.constantFrom('a', 'b', 'c');
const value = fc.constantFrom('1', '2', '3');

const registerInput: fc.Arbitrary<RegisterInput> = fc.oneof(
  fc.record({ kind: fc.constant('read' as const), key }),
  fc.record({ kind: fc.constant('write' as const), key, value }),
);

const casInput: fc.Arbitrary<CasInput> = fc.oneof(
  registerInput,
  fc.record({ kind: fc.constant('cas' as const), key, expected: fc.option(value, { nil: null }), value }),
);

const mvccInput: fc.Arbitrary<MvccInput> = fc.oneof(
  fc.record({ kind: fc.constant('get' as const), key }),
  fc.record({ kind: fc.constant('put' as const), key, value }),
  fc.record({ kind: fc.constant('delete' as const), key }),
  fc.record({
    kind: fc.constant('txn' as const),
    compare: fc.array(fc.record({ key, target: fc.constant('version' as const), operator: fc.constantFrom('=', '!=', '<', '>'), version: fc.nat(3) }), { maxLength: 2 }),
    success: fc.array(fc.record({ kind: fc.constant('put' as const), key, value }), { maxLength: 2 }),
    failure: fc.array(fc.record({ kind: fc.constant('delete' as const), key }), { maxLength: 1 }),
  }),
);

/** Intervals reach up to three linearization points either side; one operation in eight has an unknown outcome. */
function plan<Input>(input: fc.Arbitrary<Input>, lengthMax: number): fc.Arbitrary<PlannedOperation<Input>[]> {
  const widening = fc.nat(3 * LINEARIZATION_SPACING);
  const outcome = fc.constantFrom('known', 'known', 'known', 'known', 'known', 'known', 'unknown-applied', 'unknown-lost') as fc.Arbitrary<
    PlannedOperation<Input>['outcome']
  >;
  return fc.array(fc.record({ clientId: fc.nat(4), input, callBefore: widening, returnAfter: widening, outcome }), { maxLength: lengthMax });
}

function acceptsEverySequentialExecution<State, Input, Output>(
  model: Model<State, Input, Output>,
  respond: Responder<State, Input, Output>,
  input: fc.Arbitrary<Input>,
  lengthMax: number,
): void {
  fc.assert(
    fc.property(plan(input, lengthMax), (planned) => {
      const history = executeSequentially(model, respond, planned);
      expect(checkLinearizability(model, history, { timeoutMs: 10_000 }).result).toBe('ok');
    }),
    { numRuns: 200 },
  );
}

describe('histories of a sequential execution with real-time overlap', () => {
  it('are linearizable for the register', () => {
    acceptsEverySequentialExecution(registerModel, respondAsRegister, registerInput, 60);
  });

  it('are linearizable for the compare-and-set register', () => {
    acceptsEverySequentialExecution(casRegisterModel, respondAsCasRegister, casInput, 60);
  });

  it('are linearizable for the MVCC store', () => {
    acceptsEverySequentialExecution(mvccStoreModel, respondAsMvccStore, mvccInput, 30);
  });

  it('are not once one read returns a value nobody wrote', () => {
    fc.assert(
      fc.property(plan(registerInput, 40), fc.nat(), (planned, pick) => {
        const history = executeSequentially(registerModel, respondAsRegister, planned);
        const knownReads = history.flatMap((operation, index) => (operation.input.kind === 'read' && operation.output !== undefined ? [index] : []));
        fc.pre(knownReads.length > 0);
        const corrupted = [...history];
        const victim = knownReads[pick % knownReads.length]!;
        corrupted[victim] = { ...history[victim]!, output: { kind: 'read', value: 'never written' } };
        expect(checkLinearizability(registerModel, corrupted).result).toBe('illegal');
      }),
      { numRuns: 200 },
    );
  });

  it('are not once one response reports a revision beyond every write', () => {
    fc.assert(
      fc.property(plan(mvccInput, 30), fc.nat(), (planned, pick) => {
        const history = executeSequentially(mvccStoreModel, respondAsMvccStore, planned);
        const known = history.flatMap((operation, index) => (operation.output !== undefined ? [index] : []));
        fc.pre(known.length > 0);
        const corrupted = [...history];
        const victim = history[known[pick % known.length]!]!;
        // Revisions start at 1 and each operation adds at most one, so this one was never reached.
        corrupted[known[pick % known.length]!] = { ...victim, output: { ...victim.output!, revision: history.length + 2 } };
        expect(checkLinearizability(mvccStoreModel, corrupted, { timeoutMs: 10_000 }).result).toBe('illegal');
      }),
      { numRuns: 200 },
    );
  });
});

describe('the revision lookahead of the MVCC store', () => {
  it('never changes the verdict, on histories that are linearizable or corrupted', () => {
    const withoutLookahead = { ...mvccStoreModel, stillPossible: undefined };
    const shift = fc.option(fc.tuple(fc.nat(), fc.constantFrom(-1, 1)), { nil: undefined });
    fc.assert(
      fc.property(plan(mvccInput, 20), shift, (planned, corrupt) => {
        const history = [...executeSequentially(mvccStoreModel, respondAsMvccStore, planned)];
        const known = history.flatMap((operation, index) => (operation.output !== undefined ? [index] : []));
        if (corrupt !== undefined && known.length > 0) {
          const index = known[corrupt[0] % known.length]!;
          const victim = history[index]!;
          history[index] = { ...victim, output: { ...victim.output!, revision: victim.output!.revision + corrupt[1] } };
        }
        const verdict = checkLinearizability(mvccStoreModel, history).result;
        expect(verdict).toBe(checkLinearizability(withoutLookahead, history).result);
      }),
      { numRuns: 300 },
    );
  });
});
