// The JSON of POST /api/v1/transaction, in etcd's form `{ compare, success, failure }` or the
// seeds' form `{ operations }`. Compares and seed operations are unions on their `target` and
// `type`, so an operand that does not belong to the target (`modRevision` on a VERSION compare,
// `value` on a DELETE) is an unknown field rather than a silently ignored one.
import { z } from 'zod';
import { strictObject } from '../../validation/strict-schema.js';
import { SEED_CONDITION_NAMES } from '../shared/seed-conditions.js';
import { integerAtLeast, jsonBytes } from './json-schemas.js';

const compareResult = z.enum(['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL']).optional().describe('EQUAL when absent');
const operand = integerAtLeast(0).optional().describe('0 when absent');

const compareBase = { key: jsonBytes, rangeEnd: jsonBytes.optional(), result: compareResult };

const compareJson = z.discriminatedUnion(
  'target',
  [
    strictObject({ ...compareBase, target: z.literal('VERSION'), version: operand }),
    strictObject({ ...compareBase, target: z.literal('CREATE'), createRevision: operand }),
    strictObject({ ...compareBase, target: z.literal('MOD'), modRevision: operand }),
    strictObject({ ...compareBase, target: z.literal('VALUE'), value: jsonBytes }),
    strictObject({ ...compareBase, target: z.literal('LEASE'), lease: operand }),
  ],
  { error: 'must be VERSION, CREATE, MOD, VALUE or LEASE' },
);

export type CompareJson = z.infer<typeof compareJson>;

const rangeJson = strictObject({
  key: jsonBytes,
  rangeEnd: jsonBytes.optional(),
  limit: integerAtLeast(0).optional(),
  revision: integerAtLeast(0).optional(),
  keysOnly: z.boolean().optional(),
  countOnly: z.boolean().optional(),
});

const putJson = strictObject({
  key: jsonBytes,
  value: jsonBytes.optional(),
  lease: integerAtLeast(0).optional(),
  prevKv: z.boolean().optional(),
  ignoreValue: z.boolean().optional(),
  ignoreLease: z.boolean().optional(),
});

const deleteRangeJson = strictObject({ key: jsonBytes, rangeEnd: jsonBytes.optional(), prevKv: z.boolean().optional() });

/** One operation of an etcd-form branch: exactly one of range, put, deleteRange or txn. */
export interface RequestOpJson {
  readonly range?: z.infer<typeof rangeJson>;
  readonly put?: z.infer<typeof putJson>;
  readonly deleteRange?: z.infer<typeof deleteRangeJson>;
  readonly txn?: EtcdTxnJson;
}

export interface EtcdTxnJson {
  readonly compare?: readonly CompareJson[];
  readonly success?: readonly RequestOpJson[];
  readonly failure?: readonly RequestOpJson[];
}

const requestOpJson: z.ZodType<RequestOpJson> = strictObject({
  range: rangeJson.optional(),
  put: putJson.optional(),
  deleteRange: deleteRangeJson.optional(),
  txn: z.lazy(() => etcdTxnJson).optional(),
})
  .refine((op) => Object.keys(op).length === 1, 'must hold exactly one of range, put, deleteRange or txn')
  // The id names the recursive definitions in the OpenAPI document.
  .meta({ id: 'EtcdRequestOp', description: 'exactly one of range, put, deleteRange or txn' });

/** Fresh schemas on each call: one shared instance would become an anonymous definition in the OpenAPI document. */
const etcdTxnFields = () => ({
  compare: z.array(compareJson).optional().describe('etcd form: the conditions'),
  success: z.array(requestOpJson).optional().describe('etcd form: run when every compare holds'),
  failure: z.array(requestOpJson).optional().describe('etcd form: run otherwise'),
});

const etcdTxnJson: z.ZodType<EtcdTxnJson> = strictObject(etcdTxnFields()).meta({ id: 'EtcdTxn' });

const seedConditionJson = strictObject({
  if_version_match: integerAtLeast(0).optional().describe('the key has this version (0: it does not exist)'),
  if_mod_revision_match: integerAtLeast(0).optional().describe('the key was last written at this revision'),
  if_value_match: jsonBytes.optional().describe('the key exists with this value'),
  if_exists: z.boolean().optional().describe('the key exists (true) or does not (false)'),
  if_not_exists: z.literal(true).optional().describe('the key does not exist'),
}).refine((condition) => Object.keys(condition).length === 1, `must hold exactly one of ${SEED_CONDITION_NAMES.join(', ')}`);

const seedBase = { key: jsonBytes, conditions: z.array(seedConditionJson).optional().describe('all must hold, or nothing is written (412); each holds exactly one test') };

const seedOperationJson = z.discriminatedUnion(
  'type',
  [
    strictObject({
      ...seedBase,
      type: z.literal('PUT'),
      value: jsonBytes,
      ttl_seconds: integerAtLeast(1).optional().describe('grants a lease of this TTL for the key'),
    }),
    strictObject({ ...seedBase, type: z.literal('GET') }),
    strictObject({ ...seedBase, type: z.literal('DELETE') }),
  ],
  { error: 'must be PUT, GET or DELETE' },
);

export type SeedOperationJson = z.infer<typeof seedOperationJson>;

export const transactionBody = strictObject({
  ...etcdTxnFields(),
  operations: z.array(seedOperationJson).optional().describe('seeds form: all or nothing'),
})
  .refine((body) => body.operations === undefined || (body.compare ?? body.success ?? body.failure) === undefined, {
    message: 'give either operations or compare/success/failure, not both',
  })
  .describe('either operations (the seeds form) or compare, success and failure (the etcd form)');
