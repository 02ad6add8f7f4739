// The query strings of the REST API's routes that take parameters. Values arrive as strings;
// a parameter given twice arrives as an array and is refused. A parameter the route does not
// know is refused too: `?if_version_macht=3` must not turn a conditional write into a blind one.
// The OpenAPI document describes each parameter by what it parses to (an integer, a flag).
import { z } from 'zod';
import { strictObject } from '../../validation/strict-schema.js';
import type { HttpLimits } from './http-limits.js';

const text = z.string({ error: (issue) => (Array.isArray(issue.input) ? 'given more than once' : undefined) });

/** A decimal integer within [min, max], as in a path or a header. */
export function decimalInteger(min: number, max = Number.MAX_SAFE_INTEGER): z.ZodType<number, string> {
  return text.regex(/^-?\d+$/, 'is not an integer').transform(Number).pipe(z.number().int().min(min).max(max));
}

/** A query parameter's decimal integer within [min, max]; absent or empty means undefined. */
function integerText(min: number, max = Number.MAX_SAFE_INTEGER): z.ZodType<number | undefined, string | undefined> {
  return text
    .regex(/^(-?\d+)?$/, 'is not an integer')
    .transform((value) => (value === '' ? undefined : Number(value)))
    .pipe(z.number().int().min(min).max(max).optional())
    .optional();
}

/** A flag: present without a value, `true` or `1` turn it on; `false` or `0` (or absence) off. */
const flag = z
  .enum(['', 'true', '1', 'false', '0'], { error: (issue) => (Array.isArray(issue.input) ? 'given more than once' : 'is not true or false') })
  .transform((value) => value === '' || value === 'true' || value === '1')
  .pipe(z.boolean())
  .optional()
  .describe('present, true or 1 turn it on');

const consistency = z
  .enum(['', 'linearizable', 'serializable'], { error: 'is neither linearizable nor serializable' })
  .transform((value) => (value === '' ? 'linearizable' : value))
  .pipe(z.enum(['linearizable', 'serializable']))
  .optional()
  .describe('linearizable (the default) or serializable');

const ifVersionMatch = integerText(0).describe('write only if the key has this version (0: it does not exist)');

export const keyPutQuery = strictObject({
  ttl: integerText(1).describe('seconds; grants a lease of that TTL and attaches it'),
  lease: integerText(1).describe('an existing lease to attach'),
  prev_kv: flag,
  if_version_match: ifVersionMatch,
});

export const keyGetQuery = strictObject({
  revision: integerText(0).describe('read the key as of this revision'),
  consistency,
});

export const keyDeleteQuery = strictObject({ prev_kv: flag, if_version_match: ifVersionMatch });

export function listQuery(limits: Pick<HttpLimits, 'listPageKeysMax'>) {
  return strictObject({
    prefix: text.optional().describe('list keys with this prefix; every key when empty'),
    limit: integerText(1, limits.listPageKeysMax).describe(`keys per page, at most ${limits.listPageKeysMax}`),
    cursor: text.optional().describe('the nextCursor of the previous page'),
    keys_only: flag,
    consistency,
  });
}

export const watchQuery = strictObject({
  start_revision: integerText(0).describe('replay history from this revision'),
  prev_kv: flag,
  filter: z.enum(['noput', 'nodelete'], { error: 'must be noput or nodelete' }).optional(),
});

export const leaseQuery = strictObject({ keys: flag.describe('list the keys attached to the lease') });
