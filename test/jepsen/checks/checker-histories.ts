// The recorded operations as the checker's histories: one compare-and-set register per key,
// which partitions and scales, and the whole run against the unpartitioned MVCC store, which
// also checks revisions and multi-key atomicity.
import type { Operation } from '../checker/history.js';
import type { CasInput, CasOutput } from '../checker/models/cas-register.js';
import type { MvccInput, MvccOutput, TxnWrite } from '../checker/models/mvcc-store.js';
import type { RecordedOperation, WorkloadOutput } from '../workload/recorded-operation.js';

/**
 * What a register holds for a key that does not exist. The registers start with every key
 * absent, a delete (or a lease revoke) writes it, and a read of a missing key returns it.
 */
export const ABSENT = '(absent)';

type Known<O> = { readonly return: number; readonly output: O } | { readonly return: undefined; readonly output: undefined };

function outcomeOf<O>(operation: RecordedOperation, output: (recorded: WorkloadOutput) => O): Known<O> {
  if (operation.outcome !== 'ok' || operation.output === undefined || operation.return === undefined) return { return: undefined, output: undefined };
  return { return: operation.return, output: output(operation.output) };
}

function asOperation<I, O>(recorded: RecordedOperation, input: I, known: Known<O>): Operation<I, O> {
  return { clientId: recorded.clientId, call: recorded.call, input, ...known };
}

/** One register operation per key an operation touches; failed operations are left out. */
export function registerOperations(recorded: readonly RecordedOperation[]): Operation<CasInput, CasOutput>[] {
  const write = { kind: 'write' } as const;
  return recorded
    .filter((operation) => operation.outcome !== 'fail')
    .flatMap((operation): Operation<CasInput, CasOutput>[] => {
      const { input } = operation;
      const wrote = outcomeOf(operation, () => write);
      switch (input.kind) {
        case 'get':
          return [asOperation(operation, { kind: 'read', key: input.key }, outcomeOf(operation, (output) => ({ kind: 'read', value: output.kind === 'get' ? (output.value ?? ABSENT) : null })))];
        case 'put':
        case 'lease-put':
          return [asOperation(operation, { kind: 'write', key: input.key, value: input.value }, wrote)];
        case 'delete':
        case 'lease-revoke':
          return [asOperation(operation, { kind: 'write', key: input.key, value: ABSENT }, wrote)];
        case 'cas': {
          const succeeded = outcomeOf(operation, (output) => ({ kind: 'cas', succeeded: output.kind === 'cas' && output.succeeded }) as const);
          return [asOperation(operation, { kind: 'cas', key: input.key, expected: input.expected ?? ABSENT, value: input.value }, succeeded)];
        }
        case 'txn':
          return input.writes.map((each) => asOperation(operation, { kind: 'write', key: each.key, value: each.value }, wrote));
        case 'read-txn':
          return input.keys.map((key, index) =>
            asOperation(operation, { kind: 'read', key }, outcomeOf(operation, (output) => ({ kind: 'read', value: output.kind === 'read-txn' ? (output.reads[index]?.value ?? ABSENT) : null }))),
          );
        case 'lease-grant':
          return [];
      }
    });
}

/**
 * The whole run as an MVCC store history; failed operations are left out. A plain get carries
 * no revision, so gets are left out, and a revoke's answer names none, so a revoke is a delete
 * of unknown outcome (resolve-unknown-writes.ts places it by the event log).
 */
export function mvccHistory(recorded: readonly RecordedOperation[]): Operation<MvccInput, MvccOutput>[] {
  return recorded.filter((operation) => operation.outcome !== 'fail').flatMap((operation) => mvccOperations(operation));
}

function mvccOperations(operation: RecordedOperation): Operation<MvccInput, MvccOutput>[] {
  const { input } = operation;
  const revision = (output: WorkloadOutput): number => ('revision' in output ? output.revision : 0);
  switch (input.kind) {
    case 'put':
    case 'lease-put':
      return [asOperation(operation, { kind: 'put', key: input.key, value: input.value }, outcomeOf(operation, (output) => ({ kind: 'put', revision: revision(output) })))];
    case 'delete':
      return [asOperation(operation, { kind: 'delete', key: input.key }, outcomeOf(operation, (output) => ({ kind: 'delete', deleted: output.kind === 'delete' ? output.deleted : 0, revision: revision(output) })))];
    case 'lease-revoke':
      return [asOperation<MvccInput, MvccOutput>(operation, { kind: 'delete', key: input.key }, { return: undefined, output: undefined })];
    case 'cas': {
      const compare = input.expected === null ? { key: input.key, target: 'version', operator: '=', version: 0 } as const : { key: input.key, target: 'value', operator: '=', value: input.expected } as const;
      const txn = { kind: 'txn', compare: [compare], success: [{ kind: 'put', key: input.key, value: input.value }], failure: [] } as const;
      return [asOperation(operation, txn, outcomeOf(operation, (output) => ({ kind: 'txn', succeeded: output.kind === 'cas' && output.succeeded, revision: revision(output) })))];
    }
    case 'txn': {
      const success: TxnWrite[] = input.writes.map((each) => ({ kind: 'put', key: each.key, value: each.value }));
      return [asOperation(operation, { kind: 'txn', compare: [], success, failure: [] }, outcomeOf(operation, (output) => ({ kind: 'txn', succeeded: true, revision: revision(output) })))];
    }
    case 'read-txn':
      // Reads of one revision each fit only the state of that revision, so separate gets at it
      // are as strong as one atomic read.
      return input.keys.map((key, index) =>
        asOperation(operation, { kind: 'get', key }, outcomeOf(operation, (output) => {
          const read = output.kind === 'read-txn' ? output.reads[index] : undefined;
          return { kind: 'get', value: read?.value ?? null, modRevision: read?.modRevision ?? 0, revision: revision(output) };
        })),
      );
    case 'get':
    case 'lease-grant':
      return [];
  }
}
