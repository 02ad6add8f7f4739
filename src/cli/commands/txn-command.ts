// bvault txn --file <txn.yaml>: a transaction from a YAML or JSON file, in either form:
//   compare: [{ key: a, version: 2, result: "=" }]           (or createRevision, modRevision, value, lease)
//   success: [{ put: { key: a, value: x } }, { get: { key: b } }, { delete: { key: c } }]
//   failure: [...]
// or the seeds' form:
//   operations: [{ type: PUT, key: a, value: x, conditions: [{ if_version_match: 5 }], ttl_seconds: 60 }]
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { type Compare, compare, type CompareOperator, type Condition, type Operation, op, type TxnOp, type TxnOpResult, type TxnResult } from '../../client/index.js';
import { CLIENT_EXIT_CODES, type ClientExitCode, UsageError } from './client-exit-codes.js';
import type { CommandContext } from './command-context.js';
import { keyValueJson, print, renderTable } from './output.js';

export const TXN_OPTIONS = { file: { type: 'string', short: 'f' } } as const;
export const TXN_USAGE = '  txn --file <txn.yaml>                        exit 4 when the compare failed (the else branch ran)';

type Json = Record<string, unknown>;

export async function txnCommand(context: CommandContext): Promise<ClientExitCode> {
  const file = context.values.file ?? context.positionals[0];
  if (typeof file !== 'string') throw new UsageError('txn needs --file <txn.yaml>');
  const text = await readFile(file, 'utf8').catch((error: Error) => {
    throw new UsageError(`cannot read ${file}: ${error.message}`);
  });
  const body = parseYaml(text) as unknown;
  if (body === null || typeof body !== 'object') throw new UsageError(`${file} must hold a mapping with compare/success/failure or operations`);
  const request = body as Json;
  const result = Array.isArray(request.operations)
    ? await context.client.transaction(request.operations.map((item, index) => seedOperation(item as Json, `operations[${index}]`)))
    : await context.client.txn().if(...list(request.compare).map((item, index) => compareOf(item, `compare[${index}]`))).then(...list(request.success).map((item, index) => opOf(item, `success[${index}]`))).else(...list(request.failure).map((item, index) => opOf(item, `failure[${index}]`))).commit();
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

function list(value: unknown): Json[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new UsageError('compare, success and failure must be lists');
  return value as Json[];
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' && typeof value !== 'number') throw new UsageError(`${name} must be a string`);
  return String(value);
}

function compareOf(item: Json, name: string): Compare {
  const key = text(item.key, `${name}.key`);
  const operator = String(item.result ?? '=') as CompareOperator;
  if (!['=', '!=', '>', '<'].includes(operator)) throw new UsageError(`${name}.result must be =, !=, > or <`);
  if (item.version !== undefined) return compare.version(key, operator, Number(item.version));
  if (item.createRevision !== undefined) return compare.createRevision(key, operator, Number(item.createRevision));
  if (item.modRevision !== undefined) return compare.modRevision(key, operator, Number(item.modRevision));
  if (item.value !== undefined) return compare.value(key, operator, text(item.value, `${name}.value`));
  if (item.lease !== undefined) return compare.lease(key, operator, BigInt(String(item.lease)));
  throw new UsageError(`${name} needs one of version, createRevision, modRevision, value or lease`);
}

function opOf(item: Json, name: string): TxnOp {
  const put = item.put as Json | undefined;
  if (put !== undefined) return op.put(text(put.key, `${name}.put.key`), text(put.value ?? '', `${name}.put.value`));
  const get = item.get as Json | undefined;
  if (get !== undefined) return op.get(text(get.key, `${name}.get.key`));
  const deletion = item.delete as Json | undefined;
  if (deletion !== undefined) return op.delete(text(deletion.key, `${name}.delete.key`));
  throw new UsageError(`${name} must hold one of put, get or delete`);
}

function seedOperation(item: Json, name: string): Operation {
  const type = String(item.type ?? '').toLowerCase();
  if (type !== 'put' && type !== 'delete' && type !== 'get') throw new UsageError(`${name}.type must be PUT, DELETE or GET`);
  const conditions = list(item.conditions).map((condition): Condition => {
    if (condition.if_version_match !== undefined) return { ifVersionMatch: Number(condition.if_version_match) };
    if (condition.if_mod_revision_match !== undefined) return { ifModRevisionMatch: Number(condition.if_mod_revision_match) };
    if (condition.if_value_match !== undefined) return { ifValueMatch: text(condition.if_value_match, `${name}.if_value_match`) };
    if (condition.if_exists === true) return { ifExists: true };
    if (condition.if_not_exists === true) return { ifNotExists: true };
    throw new UsageError(`${name}.conditions holds an unknown condition`);
  });
  return {
    type,
    key: text(item.key, `${name}.key`),
    conditions,
    ...(item.value === undefined ? {} : { value: text(item.value, `${name}.value`) }),
    ...(item.ttl_seconds === undefined ? {} : { ttlSeconds: Number(item.ttl_seconds) }),
  };
}
