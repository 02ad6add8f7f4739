// Runs the linearizability checker over a run's history: every key's compare-and-set register
// on its own (each starts absent), then the whole history against the MVCC store.
import type { Operation } from '../checker/history.js';
import { checkLinearizability } from '../checker/linearizability.js';
import type { Model } from '../checker/model.js';
import { checkInRevisionPieces } from '../checker/revision-pieces.js';
import { type CasInput, type CasOutput, casRegisterModel } from '../checker/models/cas-register.js';
import { emptyRegisters, type RegisterState } from '../checker/models/register.js';
import type { RecordedOperation } from '../workload/recorded-operation.js';
import { ABSENT, mvccHistory, registerOperations } from './checker-histories.js';
import type { CheckOutcome } from './check-outcome.js';
import type { LoggedEvent } from './event-log.js';
import { resolveUnknownWrites } from './resolve-unknown-writes.js';

export interface LinearizabilityOptions {
  readonly registerTimeoutMs: number;
  readonly mvccTimeoutMs: number;
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

/**
 * The whole run against the MVCC store: revisions, multi-key atomicity and compares. Writes of
 * unknown outcome are placed by the event log, then the history is checked in revision pieces
 * (see resolve-unknown-writes.ts and ../checker/revision-pieces.ts for why that is sound). A
 * check that does not finish within its budget fails the run: it proved nothing.
 */
export function checkMvccStore(recorded: readonly RecordedOperation[], eventLog: readonly LoggedEvent[], timeoutMs: number): CheckOutcome {
  const started = performance.now();
  const name = 'linearizable (MVCC store)';
  const history = mvccHistory(recorded);
  const resolution = resolveUnknownWrites(history, eventLog);
  const check = checkInRevisionPieces(resolution.history, { timeoutMs });
  const unknown = history.filter((operation) => operation.output === undefined && operation.input.kind !== 'get').length;
  const detail = `${resolution.history.length} store operations; of ${unknown} writes of unknown outcome the event log placed ${resolution.placed}, showed no change by ${resolution.dropped}`;
  const elapsedMs = performance.now() - started;
  switch (check.result) {
    case 'illegal':
      return { name, result: 'illegal', detail: `${detail}\n${check.report}`, elapsedMs, mustDecide: true };
    case 'unknown':
      return { name, result: 'unknown', detail: `undecided, which fails the run: ${check.reason}; ${detail}`, elapsedMs, mustDecide: true };
    case 'ok':
      return { name, result: 'ok', detail: `${detail}; ${check.pieces} revision pieces`, elapsedMs, mustDecide: true };
  }
}
