// bvault txn --file <txn.yaml>: runs the transaction the file describes (see txn-file.ts for
// its two forms) and exits 4 when the compare failed.
import type { TxnOpResult, TxnResult } from '../../client/index.js';
import { CLIENT_EXIT_CODES, type ClientExitCode, UsageError } from './client-exit-codes.js';
import type { CommandContext } from './command-context.js';
import { keyValueJson, print, renderTable } from './output.js';
import { readTxnFile } from './txn-file.js';

export const TXN_OPTIONS = { file: { type: 'string', short: 'f' } } as const;
export const TXN_USAGE = '  txn --file <txn.yaml>                        exit 4 when the compare failed (the else branch ran)';

export async function txnCommand(context: CommandContext): Promise<ClientExitCode> {
  const file = context.values.file ?? context.positionals[0];
  if (typeof file !== 'string') throw new UsageError('txn needs --file <txn.yaml>');
  const transaction = await readTxnFile(file);
  const result =
    transaction.form === 'seeds'
      ? await context.client.transaction(transaction.operations)
      : await context.client.txn().if(...transaction.compare).then(...transaction.success).else(...transaction.failure).commit();
  printResult(context, result);
  return result.succeeded ? CLIENT_EXIT_CODES.ok : CLIENT_EXIT_CODES.preconditionFailed;
}

function printResult(context: CommandContext, result: TxnResult): void {
  print(context, { succeeded: result.succeeded, revision: result.revision, results: result.results.map(resultJson) }, () => {
    const rows = result.results.map((item) => [item.type, describe(item)]);
    return `${result.succeeded ? 'SUCCESS' : 'FAILURE'}\n${rows.length === 0 ? '' : renderTable(['op', 'result'], rows)}`;
  });
}

function resultJson(result: TxnOpResult): unknown {
  switch (result.type) {
    case 'get':
      return { type: 'get', count: result.count, kvs: result.kvs.map(keyValueJson) };
    case 'put':
      return { type: 'put', ...(result.prevKv ? { prevKv: keyValueJson(result.prevKv) } : {}) };
    case 'delete':
      return { type: 'delete', deleted: result.deleted };
    case 'txn':
      return { type: 'txn', succeeded: result.succeeded, results: result.results.map(resultJson) };
  }
}

function describe(result: TxnOpResult): string {
  if (result.type === 'get') return result.kvs.map((kv) => `${kv.key.toString('utf8')}=${kv.value.toString('utf8')}`).join(' ') || '(none)';
  if (result.type === 'delete') return `${result.deleted} deleted`;
  return result.type === 'put' ? 'OK' : `nested ${result.succeeded ? 'SUCCESS' : 'FAILURE'}`;
}
