// The file of `bvault txn --file`, YAML or JSON, in either form:
//   compare: [{ key: a, version: 2, result: "=" }]           (or createRevision, modRevision, value, lease)
//   success: [{ put: { key: a, value: x } }, { get: { key: b } }, { delete: { key: c } }]
//   failure: [...]
// or the seeds' form:
//   operations: [{ type: PUT, key: a, value: x, conditions: [{ if_version_match: 5 }], ttl_seconds: 60 }]
// Every mapping is a strict schema: a misplaced field (an operation's `if_version_match` outside
// `conditions`) is a usage error naming it, not a condition silently dropped.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type Compare, compare, type Condition, type Operation, op, type TxnOp } from '../../client/index.js';
import { describeSchemaProblem, parseWith, strictObject } from '../../validation/strict-schema.js';
import { UsageError } from './client-exit-codes.js';

/** YAML reads `key: 12` as a number; a key or value is its text either way. */
const text = z.union([z.string(), z.number()], { error: 'must be a string' }).transform(String);
const count = z.number().int().min(0);

/** Exactly one of the named fields is present. */
const exactlyOne = (names: readonly string[]) => (value: object) => names.filter((name) => name in value).length === 1;

const COMPARE_OPERANDS = ['version', 'createRevision', 'modRevision', 'value', 'lease'] as const;

const compareEntry = strictObject({
  key: text,
  result: z.enum(['=', '!=', '>', '<']).optional().describe('= when absent'),
  version: count.optional(),
  createRevision: count.optional(),
  modRevision: count.optional(),
  value: text.optional(),
  lease: z.union([count, z.string().regex(/^\d+$/)]).optional(),
}).refine(exactlyOne(COMPARE_OPERANDS), `needs exactly one of ${COMPARE_OPERANDS.join(', ')}`);

const keyOnly = strictObject({ key: text });

const opEntry = strictObject({ put: strictObject({ key: text, value: text.optional() }).optional(), get: keyOnly.optional(), delete: keyOnly.optional() }).refine(
  exactlyOne(['put', 'get', 'delete']),
  'must hold exactly one of put, get or delete',
);

const CONDITIONS = ['if_version_match', 'if_mod_revision_match', 'if_value_match', 'if_exists', 'if_not_exists'] as const;

const conditionEntry = strictObject({
  if_version_match: count.optional(),
  if_mod_revision_match: count.optional(),
  if_value_match: text.optional(),
  if_exists: z.literal(true).optional(),
  if_not_exists: z.literal(true).optional(),
}).refine(exactlyOne(CONDITIONS), `must hold exactly one of ${CONDITIONS.join(', ')}`);

const seedOperationEntry = strictObject({
  type: z
    .string()
    .transform((type) => type.toLowerCase())
    .pipe(z.enum(['put', 'get', 'delete'], { error: 'must be PUT, GET or DELETE' })),
  key: text,
  value: text.optional(),
  conditions: z.array(conditionEntry).optional(),
  ttl_seconds: z.number().int().min(1).optional(),
});

const txnFileSchema = strictObject({
  compare: z.array(compareEntry).optional(),
  success: z.array(opEntry).optional(),
  failure: z.array(opEntry).optional(),
  operations: z.array(seedOperationEntry).optional(),
}).refine((file) => file.operations === undefined || (file.compare ?? file.success ?? file.failure) === undefined, 'give either operations or compare/success/failure, not both');

export type TxnFile =
  | { readonly form: 'seeds'; readonly operations: readonly Operation[] }
  | { readonly form: 'etcd'; readonly compare: readonly Compare[]; readonly success: readonly TxnOp[]; readonly failure: readonly TxnOp[] };

export async function readTxnFile(file: string): Promise<TxnFile> {
  const content = await readFile(file, 'utf8').catch((error: Error) => {
    throw new UsageError(`cannot read ${file}: ${error.message}`);
  });
  return txnFileOf(content, file);
}

/** The transaction `content` (the text of `file`) describes; a UsageError naming what is wrong. */
export function txnFileOf(content: string, file: string): TxnFile {
  let document: unknown;
  try {
    document = parseYaml(content);
  } catch (error) {
    throw new UsageError(`${file} is not valid YAML: ${(error as Error).message}`);
  }
  const parsed = parseWith(txnFileSchema, document);
  if (!parsed.ok) throw new UsageError(`${file}: ${describeSchemaProblem(parsed.problem, 'the file')}`);
  const body = parsed.value;
  if (body.operations !== undefined) return { form: 'seeds', operations: body.operations.map(seedOperationOf) };
  return { form: 'etcd', compare: (body.compare ?? []).map(compareOf), success: (body.success ?? []).map(opOf), failure: (body.failure ?? []).map(opOf) };
}

function compareOf(entry: z.output<typeof compareEntry>): Compare {
  const operator = entry.result ?? '=';
  if (entry.version !== undefined) return compare.version(entry.key, operator, entry.version);
  if (entry.createRevision !== undefined) return compare.createRevision(entry.key, operator, entry.createRevision);
  if (entry.modRevision !== undefined) return compare.modRevision(entry.key, operator, entry.modRevision);
  if (entry.value !== undefined) return compare.value(entry.key, operator, entry.value);
  return compare.lease(entry.key, operator, BigInt(entry.lease ?? 0));
}

function opOf(entry: z.output<typeof opEntry>): TxnOp {
  if (entry.put !== undefined) return op.put(entry.put.key, entry.put.value ?? '');
  if (entry.get !== undefined) return op.get(entry.get.key);
  return op.delete(entry.delete?.key ?? '');
}

function seedOperationOf(entry: z.output<typeof seedOperationEntry>): Operation {
  return {
    type: entry.type,
    key: entry.key,
    conditions: (entry.conditions ?? []).map(conditionOf),
    ...(entry.value === undefined ? {} : { value: entry.value }),
    ...(entry.ttl_seconds === undefined ? {} : { ttlSeconds: entry.ttl_seconds }),
  };
}

function conditionOf(entry: z.output<typeof conditionEntry>): Condition {
  if (entry.if_version_match !== undefined) return { ifVersionMatch: entry.if_version_match };
  if (entry.if_mod_revision_match !== undefined) return { ifModRevisionMatch: entry.if_mod_revision_match };
  if (entry.if_value_match !== undefined) return { ifValueMatch: entry.if_value_match };
  return entry.if_exists === true ? { ifExists: true } : { ifNotExists: true };
}
