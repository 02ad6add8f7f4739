// How the search copes with size: partitioning keeps many-key histories cheap, and a deadline
// turns a search that would not finish into the answer 'unknown'.

import { describe, expect, it } from 'vitest';
import { completed, unknownOutcome, type Operation } from './history.js';
import { checkLinearizability } from './linearizability.js';
import { casRegisterModel, type CasInput, type CasOutput } from './models/cas-register.js';
import { mvccStoreModel } from './models/mvcc-store.js';
import { registerModel, type RegisterInput, type RegisterOutput } from './models/register.js';
import { mvccStorePlan, registerPlan } from './random-plans.js';
import { respondAsMvccStore, respondAsRegister } from './responders.js';
import { executeSequentially } from './sequential-execution.js';

type RegisterOperation = Operation<RegisterInput, RegisterOutput>;
type CasOperation = Operation<CasInput, CasOutput>;

const unpartitionedRegisterModel = { ...registerModel, partition: undefined };

function timed<T>(run: () => T): { value: T; elapsedMs: number } {
  const start = performance.now();
  const value = run();
  return { value, elapsedMs: performance.now() - start };
}

/**
 * On each key, four writes all concurrent with one another, then a read of one of them. On
 * key k0 a last read returns a value nobody wrote. Each key alone has a handful of states,
 * but checked together their interleavings multiply.
 */
function manyKeysWithOneViolation(keys: number): RegisterOperation[] {
  const history: RegisterOperation[] = [];
  for (let k = 0; k < keys; k++) {
    const key = `k${k}`;
    for (let w = 0; w < 4; w++) {
      history.push(completed(w, 0, 100, { kind: 'write', key, value: `w${w}` }, { kind: 'write' }));
    }
    history.push(completed(4, 110, 120, { kind: 'read', key }, { kind: 'read', value: 'w2' }));
  }
  history.push(completed(5, 200, 210, { kind: 'read', key: 'k0' }, { kind: 'read', value: 'never written' }));
  return history;
}

describe('partitioning by key', () => {
  it('checks a history of 50 keys × 200 operations with overlap and unknown outcomes quickly', () => {
    const plan = registerPlan({ operations: 10_000, keys: 50, seed: 7, overlapPointsMax: 3, unknownFraction: 0.05 });
    const history = executeSequentially(registerModel, respondAsRegister, plan);
    const { value, elapsedMs } = timed(() => checkLinearizability(registerModel, history, { timeoutMs: 20_000 }));
    expect(value.result).toBe('ok');
    expect(elapsedMs).toBeLessThan(5_000);
  });

  it('finds a violation on one key among many at once, where the unpartitioned search gives up', () => {
    const history = manyKeysWithOneViolation(20);
    const partitioned = timed(() => checkLinearizability(registerModel, history, { timeoutMs: 5_000 }));
    expect(partitioned.value.result).toBe('illegal');
    expect(partitioned.elapsedMs).toBeLessThan(1_000);
    const whole = checkLinearizability(unpartitionedRegisterModel, history, { timeoutMs: 300 });
    expect(whole.result).toBe('unknown');
  });

  it('reaches the same verdict with or without partitioning when both finish', () => {
    const small = manyKeysWithOneViolation(2);
    expect(checkLinearizability(unpartitionedRegisterModel, small).result).toBe('illegal');
    const repaired = small.slice(0, -1);
    expect(checkLinearizability(unpartitionedRegisterModel, repaired).result).toBe('ok');
    expect(checkLinearizability(registerModel, repaired).result).toBe('ok');
  });
});

describe('writes of unknown outcome', () => {
  it('do not keep a violation in 10,000 register operations from being found', () => {
    // One operation in twenty has an unknown outcome; they would all stay candidates to the end
    // of the search if the register model did not drop or bound them first.
    const plan = registerPlan({ operations: 10_000, keys: 10, seed: 1, overlapPointsMax: 3, unknownFraction: 0.05 });
    const history = [...executeSequentially(registerModel, respondAsRegister, plan)];
    const victim = history.findIndex((operation, index) => index > 8_000 && operation.input.kind === 'read' && operation.output !== undefined);
    history[victim] = { ...history[victim]!, output: { kind: 'read', value: 'never written' } };
    const { value, elapsedMs } = timed(() => checkLinearizability(registerModel, history, { timeoutMs: 20_000 }));
    expect(value.result).toBe('illegal');
    expect(elapsedMs).toBeLessThan(5_000);
  });
});

describe('the unpartitioned MVCC store', () => {
  it('checks 2,000 operations on 5 keys, one in fifty of unknown outcome, within seconds', () => {
    // Every write of unknown outcome stays a candidate to the end and the global revision
    // makes each one matter; the search stays fast because it drops a state as soon as its
    // revision has passed that of the response it must explain next (see README).
    const plan = mvccStorePlan({ operations: 2_000, keys: 5, seed: 1, overlapPointsMax: 3, unknownFraction: 0.02 });
    const history = executeSequentially(mvccStoreModel, respondAsMvccStore, plan);
    const { value, elapsedMs } = timed(() => checkLinearizability(mvccStoreModel, history, { timeoutMs: 20_000 }));
    expect(value.result).toBe('ok');
    expect(elapsedMs).toBeLessThan(5_000);
  });
});

describe('deadline', () => {
  /**
   * Concurrent writes of unknown outcome, then a read of a value none of them wrote: every
   * subset of the writes in every order must be ruled out, about n × 2^(n-1) states. On the
   * CAS register, which cannot drop unobserved writes as the plain register does.
   */
  function concurrentUnknownWrites(key: string, writes: number): CasOperation[] {
    const history: CasOperation[] = Array.from({ length: writes }, (_, client) =>
      unknownOutcome<CasInput, CasOutput>(client, 0, { kind: 'write', key, value: `w${client}` }),
    );
    history.push(completed(99, 10, 20, { kind: 'read', key }, { kind: 'read', value: 'never written' }));
    return history;
  }

  it('answers unknown on a pathological history instead of hanging', () => {
    const { value, elapsedMs } = timed(() => checkLinearizability(casRegisterModel, concurrentUnknownWrites('x', 24), { timeoutMs: 200 }));
    expect(value.result).toBe('unknown');
    expect(elapsedMs).toBeLessThan(1_000);
  });

  it('does not hide a violation found in another partition before the deadline', () => {
    const staleRead = [
      completed<CasInput, CasOutput>(1, 0, 10, { kind: 'write', key: 'fast', value: '1' }, { kind: 'write' }),
      completed<CasInput, CasOutput>(2, 20, 30, { kind: 'read', key: 'fast' }, { kind: 'read', value: null }),
    ];
    const history = [...concurrentUnknownWrites('slow', 24), ...staleRead];
    expect(checkLinearizability(casRegisterModel, history, { timeoutMs: 200 }).result).toBe('illegal');
  });
});
