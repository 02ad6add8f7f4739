// Reading what a request carries: its query string and JSON body, each checked against the
// route's schema (query-schemas.ts, body-schemas.ts, transaction-schemas.ts). Every malformed
// or unknown input becomes an ApiError naming the parameter or field, so it is refused before
// anything is proposed.
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { parseWith, type SchemaProblem } from '../../validation/strict-schema.js';
import { ApiError } from '../errors.js';

/** The query string, checked against the route's schema. */
export function parseQuery<Schema extends z.ZodType>(request: FastifyRequest, schema: Schema): z.output<Schema> {
  const parsed = parseWith(schema, request.query ?? {});
  if (parsed.ok) return parsed.value;
  throw queryError(parsed.problem);
}

/** One path parameter or header, checked against its schema. */
export function parseParameter<Schema extends z.ZodType>(name: string, value: unknown, schema: Schema): z.output<Schema> {
  const parsed = parseWith(schema, value);
  if (parsed.ok) return parsed.value;
  const problem = parsed.problem;
  throw new ApiError('API_INVALID_PARAMETER', { name, reason: problem.kind === 'invalid-value' ? problem.reason : problem.hint });
}

/** The raw body of a key route; absent when the request had none. */
export function bodyBytes(request: FastifyRequest): Buffer {
  const body = request.body;
  return Buffer.isBuffer(body) ? body : EMPTY_BODY;
}

const EMPTY_BODY = Buffer.alloc(0);

/**
 * The body parsed as JSON whatever content type the client sent (curl -d sends a form type),
 * checked against the route's schema. An empty body is `undefined`, which only a schema that
 * makes the body optional accepts.
 */
export function parseJsonBody<Schema extends z.ZodType>(request: FastifyRequest, schema: Schema): z.output<Schema> {
  const body = bodyBytes(request);
  const parsed = parseWith(schema, body.length === 0 ? undefined : jsonOf(body));
  if (parsed.ok) return parsed.value;
  if (body.length === 0) throw new ApiError('API_INVALID_BODY', { reason: 'a JSON object is required' });
  throw bodyError(parsed.problem);
}

function jsonOf(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new ApiError('API_MALFORMED_JSON', { reason: (error as Error).message });
  }
}

function bodyError(problem: SchemaProblem): ApiError {
  if (problem.kind === 'unknown-field') return new ApiError('API_UNKNOWN_FIELD', { name: problem.field, location: problem.path === '' ? 'the request body' : problem.path, hint: problem.hint });
  return new ApiError('API_INVALID_BODY', { reason: `${problem.path === '' ? 'the body' : problem.path}: ${problem.reason}` });
}

function queryError(problem: SchemaProblem): ApiError {
  if (problem.kind === 'unknown-field') return new ApiError('API_UNKNOWN_FIELD', { name: problem.field, location: 'the query string', hint: problem.hint });
  return new ApiError('API_INVALID_PARAMETER', { name: problem.path, reason: problem.reason });
}
