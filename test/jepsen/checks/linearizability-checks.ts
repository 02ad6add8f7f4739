// Runs the linearizability checker over a run's history: every key's compare-and-set register
// on its own (each starts absent), then the MVCC store over a window from the start.
import type { Operation } from '../checker/history.js';
import { checkLinearizability } from '../checker/linearizability.js';
import type { Model } from '../checker/model.js';
import { type CasInput, type CasOutput, casRegisterModel } from '../checker/models/cas-register.js';
import { type MvccInput, type MvccOutput, mvccStoreModel } from '../checker/models/mvcc-store.js';
import { emptyRegisters, type RegisterState } from '../checker/models/register.js';
import type { RecordedOperation } from '../workload/recorded-operation.js';
import { ABSENT, mvccWindow, registerOperations } from './checker-histories.js';
import type { CheckOutcome } from './check-outcome.js';

export interface LinearizabilityOptions {
  readonly registerTimeoutMs: number;
  readonly mvccTimeoutMs: number;
  readonly mvccOperationsMax: number;
}

/** A key's register starts absent; the checker's own registers start at null ("never written"). */
function registerOfKey(key: string): Model<RegisterState, CasInput, CasOutput> {
  return { ...casRegisterModel, init: () => emptyRegisters.with(key, ABSENT) };
}

export function checkRegisters(recorded: readonly RecordedOperation[], timeoutMs: number): CheckOutcome {
  const started = performance.now();
  const byKey = new Map<string, Operation<CasInput, CasOutput>[]>();
  for (const operation of registerOperations(recorded)) {
    const operations = byKey.get(operation.input.key);
    if (operations === undefined) byKey.set(operation.input.key, [operation]);
    else operations.push(operation);
  }
  const unknownKeys: string[] = [];
  for (const [key, operations] of byKey) {
    const remainingMs = Math.max(1, timeoutMs - (performance.now() - started));
    const check = checkLinearizability(registerOfKey(key), operations, { timeoutMs: remainingMs });
    if (check.result === 'illegal') {
      return { name: 'linearizable (per-key registers)', result: 'illegal', detail: `key ${key}: ${check.violation.report}`, elapsedMs: performance.now() - started, mustDecide: true };
    }
    if (check.result === 'unknown') unknownKeys.push(key);
  }
  const detail = `${byKey.size} keys, ${[...byKey.values()].reduce((sum, operations) => sum + operations.length, 0)} register operations`;
  const elapsedMs = performance.now() - started;
  if (unknownKeys.length > 0) return { name: 'linearizable (per-key registers)', result: 'unknown', detail: `${detail}; no answer in time for ${unknownKeys.join(', ')}`, elapsedMs, mustDecide: true };
  return { name: 'linearizable (per-key registers)', result: 'ok', detail, elapsedMs, mustDecide: true };
}

export function checkMvccWindow(recorded: readonly RecordedOperation[], options: LinearizabilityOptions): CheckOutcome {
  const started = performance.now();
  const history: Operation<MvccInput, MvccOutput>[] = mvccWindow(recorded, options.mvccOperationsMax);
  const check = checkLinearizability(mvccStoreModel, history, { timeoutMs: options.mvccTimeoutMs });
  const unknown = history.filter((operation) => operation.output === undefined).length;
  const detail = `first ${options.mvccOperationsMax} operations: ${history.length} store operations, ${unknown} of unknown outcome`;
  const name = 'linearizable (MVCC store window)';
  // With many writes of unknown outcome the store model may run out of time; that is no failure.
  const mustDecide = false;
  const elapsedMs = performance.now() - started;
  if (check.result === 'illegal') return { name, result: 'illegal', detail: `${detail}\n${check.violation.report}`, elapsedMs, mustDecide };
  if (check.result === 'unknown') return { name, result: 'unknown', detail: `${detail}; ${check.reason}`, elapsedMs, mustDecide };
  return { name, result: 'ok', detail, elapsedMs, mustDecide };
}
