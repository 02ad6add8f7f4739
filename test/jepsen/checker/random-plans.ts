// Seeded random workloads for the timed tests: many clients on a few keys, with intervals
// widened so that several operations are in flight at once.

import type { CasInput } from './models/cas-register.js';
import type { MvccInput } from './models/mvcc-store.js';
import type { RegisterInput } from './models/register.js';
import { LINEARIZATION_SPACING, seededRandom, type PlannedOperation } from './sequential-execution.js';

export interface WorkloadShape {
  readonly operations: number;
  readonly keys: number;
  readonly seed: number;
  /** How many linearization points an interval may reach on each side: the overlap. */
  readonly overlapPointsMax: number;
  /** The fraction of operations whose outcome the client never learns. */
  readonly unknownFraction: number;
}

function planWith<Input>(shape: WorkloadShape, inputFor: (random: () => number, key: string, index: number) => Input): PlannedOperation<Input>[] {
  const random = seededRandom(shape.seed);
  const widening = () => Math.floor(random() * shape.overlapPointsMax * LINEARIZATION_SPACING);
  return Array.from({ length: shape.operations }, (_, index) => {
    const key = `k${Math.floor(random() * shape.keys)}`;
    const unknown = random() < shape.unknownFraction;
    return {
      clientId: index % 16,
      input: inputFor(random, key, index),
      callBefore: widening(),
      returnAfter: widening(),
      outcome: unknown ? (random() < 0.5 ? 'unknown-applied' : 'unknown-lost') : 'known',
    };
  });
}

export function registerPlan(shape: WorkloadShape): PlannedOperation<RegisterInput>[] {
  return planWith(shape, (random, key, index) => (random() < 0.5 ? { kind: 'read', key } : { kind: 'write', key, value: `v${index}` }));
}

export function casRegisterPlan(shape: WorkloadShape): PlannedOperation<CasInput>[] {
  return planWith(shape, (random, key, index): CasInput => {
    const choice = random();
    if (choice < 0.4) return { kind: 'read', key };
    if (choice < 0.7) return { kind: 'write', key, value: String(index % 5) };
    return { kind: 'cas', key, expected: String(Math.floor(random() * 5)), value: String(index % 5) };
  });
}

export function mvccStorePlan(shape: WorkloadShape): PlannedOperation<MvccInput>[] {
  return planWith(shape, (random, key, index): MvccInput => {
    const choice = random();
    if (choice < 0.4) return { kind: 'get', key };
    if (choice < 0.7) return { kind: 'put', key, value: `v${index}` };
    if (choice < 0.8) return { kind: 'delete', key };
    const version = Math.floor(random() * 3);
    return { kind: 'txn', compare: [{ key, target: 'version', operator: '=', version }], success: [{ kind: 'put', key, value: `v${index}` }], failure: [] };
  });
}
