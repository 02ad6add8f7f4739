// The building blocks of the REST API's JSON bodies: bytes, counts and the read consistency.
import { z } from 'zod';
import { strictObject } from '../../validation/strict-schema.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Keys and values in JSON: a string is UTF-8 text, `{ "base64": "..." }` carries any bytes. */
export const jsonBytes = z
  .union([z.string(), strictObject({ base64: z.string().regex(BASE64, 'is not valid base64') })], {
    error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string or { "base64": "..." }'),
  })
  .describe('UTF-8 text, or { "base64": "..." } for any bytes')
  // The id makes it one named definition in the OpenAPI document rather than a copy per field.
  .meta({ id: 'Bytes' });

export type JsonBytes = z.infer<typeof jsonBytes>;

export function bytesOf(value: JsonBytes): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value.base64, 'base64');
}

/** An integer of at least `min` (JSON numbers beyond 2^53 lose precision, so they are refused). */
export function integerAtLeast(min: number): z.ZodNumber {
  return z.number().int().min(min);
}

export const nonEmptyString = z.string().min(1, 'must not be empty');

export const consistency = z
  .enum(['linearizable', 'serializable'])
  .describe('linearizable (the default, through ReadIndex) or serializable (local, may be stale)');
