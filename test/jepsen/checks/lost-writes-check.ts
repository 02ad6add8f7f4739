// After healing: every acknowledged write is in the event log at the revision its answer
// named (a put with its value, a delete of its key), every revoked lease's key is gone, and no
// value of a write the server refused (or whose compare failed) ever appears.
import type { RecordedOperation } from '../workload/recorded-operation.js';
import type { CheckOutcome } from './check-outcome.js';
import { type LoggedEvent, replayEventLog } from './event-log.js';

interface ExpectedEvent {
  readonly revision: number;
  readonly type: 'put' | 'delete';
  readonly key: string;
  readonly value: string | null;
}

/** What the log must hold for an acknowledged write; none for reads and for writes that changed nothing. */
function expectedEvents(operation: RecordedOperation): ExpectedEvent[] {
  const { input, output } = operation;
  if (operation.outcome !== 'ok' || output === undefined || !('revision' in output)) return [];
  const { revision } = output;
  switch (input.kind) {
    case 'put':
    case 'lease-put':
      return [{ revision, type: 'put', key: input.key, value: input.value }];
    case 'cas':
      return output.kind === 'cas' && output.succeeded ? [{ revision, type: 'put', key: input.key, value: input.value }] : [];
    case 'txn':
      return input.writes.map((write) => ({ revision, type: 'put', key: write.key, value: write.value }));
    case 'delete':
      return output.kind === 'delete' && output.deleted > 0 ? [{ revision, type: 'delete', key: input.key, value: null }] : [];
    default:
      return [];
  }
}

/** Values that must never appear: those of writes that certainly did not take effect. */
function refusedValues(operations: readonly RecordedOperation[]): Set<string> {
  const refused = new Set<string>();
  for (const { input, outcome, output } of operations) {
    const failedCompare = input.kind === 'cas' && output?.kind === 'cas' && !output.succeeded;
    if (outcome !== 'fail' && !failedCompare) continue;
    if (input.kind === 'put' || input.kind === 'lease-put' || input.kind === 'cas') refused.add(input.value);
    if (input.kind === 'txn') for (const write of input.writes) refused.add(write.value);
  }
  return refused;
}

export function lostWriteProblems(operations: readonly RecordedOperation[], log: readonly LoggedEvent[]): string[] {
  const problems: string[] = [];
  const logged = new Set(log.map((event) => `${event.revision}\u0000${event.type}\u0000${event.key}\u0000${event.value ?? ''}`));
  for (const operation of operations) {
    for (const expected of expectedEvents(operation)) {
      if (logged.has(`${expected.revision}\u0000${expected.type}\u0000${expected.key}\u0000${expected.value ?? ''}`)) continue;
      problems.push(`lost: client ${operation.clientId}'s acknowledged ${expected.type} of ${expected.key}${expected.value === null ? '' : `=${expected.value}`} at revision ${expected.revision} is not in the log`);
    }
  }
  const { finalState } = replayEventLog(log);
  for (const { input, outcome, clientId } of operations) {
    if (input.kind === 'lease-revoke' && outcome === 'ok' && finalState.has(input.key)) problems.push(`client ${clientId} revoked lease ${input.leaseId}, yet its key ${input.key} still exists`);
  }
  const refused = refusedValues(operations);
  for (const event of log) {
    if (event.value !== null && refused.has(event.value)) problems.push(`a write reported as not applied took effect: ${event.key}=${event.value} at revision ${event.revision}`);
  }
  return problems;
}

export function checkLostWrites(operations: readonly RecordedOperation[], log: readonly LoggedEvent[]): CheckOutcome {
  const started = performance.now();
  const problems = lostWriteProblems(operations, log);
  const acknowledged = operations.filter((operation) => expectedEvents(operation).length > 0).length;
  const summary = `${acknowledged} acknowledged writes checked against ${log.length} events`;
  const detail = problems.length === 0 ? summary : `${summary}; ${problems.length} problems\n${problems.slice(0, 20).join('\n')}`;
  return { name: 'no lost writes', result: problems.length === 0 ? 'ok' : 'illegal', detail, elapsedMs: performance.now() - started, mustDecide: true };
}
