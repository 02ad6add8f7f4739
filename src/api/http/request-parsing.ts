// Reading what a request carries: query parameters, JSON bodies and byte strings inside them.
// Every malformed input becomes an ApiError naming the parameter, so it is refused before
// anything is proposed.
import type { FastifyRequest } from 'fastify';
import type { ReadConsistency } from '../../node/kv-node.js';
import { ApiError } from '../errors.js';

export type Query = Readonly<Record<string, string | string[] | undefined>>;

export function queryOf(request: FastifyRequest): Query {
  return request.query as Query;
}

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new ApiError('API_INVALID_PARAMETER', { name, reason: 'given more than once' });
  return value;
}

/** An optional integer parameter within [min, max]; absent or empty means undefined. */
export function integerParameter(query: Query, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const text = single(query, name);
  if (text === undefined || text === '') return undefined;
  return parseInteger(text, name, min, max);
}

export function parseInteger(text: string, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) throw new ApiError('API_INVALID_PARAMETER', { name, reason: `'${text}' is not an integer` });
  if (value < min || value > max) throw new ApiError('API_INVALID_PARAMETER', { name, reason: `${value} is outside [${min}, ${max}]` });
  return value;
}

/** A flag: present without a value, `true` or `1` turn it on; `false` or `0` off. */
export function booleanParameter(query: Query, name: string): boolean {
  const text = single(query, name);
  if (text === undefined || text === 'false' || text === '0') return false;
  if (text === '' || text === 'true' || text === '1') return true;
  throw new ApiError('API_INVALID_PARAMETER', { name, reason: `'${text}' is not true or false` });
}

export function stringParameter(query: Query, name: string): string | undefined {
  return single(query, name);
}

export function consistencyParameter(query: Query): ReadConsistency {
  return consistencyOf(single(query, 'consistency'), 'consistency');
}

export function consistencyOf(value: unknown, name: string): ReadConsistency {
  if (value === undefined || value === '' || value === 'linearizable') return 'linearizable';
  if (value === 'serializable') return 'serializable';
  throw new ApiError('API_INVALID_PARAMETER', { name, reason: `'${String(value)}' is neither linearizable nor serializable` });
}

/** The raw body of a key route; absent when the request had none. */
export function bodyBytes(request: FastifyRequest): Buffer {
  const body = request.body;
  return Buffer.isBuffer(body) ? body : EMPTY_BODY;
}

const EMPTY_BODY = Buffer.alloc(0);

export type JsonObject = Readonly<Record<string, unknown>>;

/** The body parsed as a JSON object, whatever content type the client sent (curl -d sends a form type). */
export function jsonBody(request: FastifyRequest): JsonObject {
  const body = bodyBytes(request);
  if (body.length === 0) throw new ApiError('API_INVALID_BODY', { reason: 'a JSON object is required' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new ApiError('API_MALFORMED_JSON', { reason: (error as Error).message });
  }
  return asObject(parsed, 'the body');
}

export function asObject(value: unknown, name: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidField(name, 'must be a JSON object');
  return value as JsonObject;
}

export function asArray(value: unknown, name: string): readonly unknown[] {
  if (!Array.isArray(value)) throw invalidField(name, 'must be an array');
  return value;
}

export function optionalInteger(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw invalidField(name, `must be an integer of at least ${min}`);
  return value;
}

export function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidField(name, 'must be true or false');
  return value;
}

export function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidField(name, 'must be a string');
  return value;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Keys and values in JSON: a string is UTF-8 text, `{ "base64": "..." }` carries any bytes. */
export function bytesField(value: unknown, name: string): Uint8Array {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (typeof value === 'object' && value !== null && typeof (value as { base64?: unknown }).base64 === 'string') {
    const text = (value as { base64: string }).base64;
    if (!BASE64.test(text)) throw invalidField(name, 'is not valid base64');
    return Buffer.from(text, 'base64');
  }
  throw invalidField(name, 'must be a string or { "base64": "..." }');
}

export function optionalBytes(value: unknown, name: string): Uint8Array | undefined {
  return value === undefined || value === null ? undefined : bytesField(value, name);
}

/** Tags in JSON: an object of string values. */
export function optionalTags(value: unknown, name: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  const tags = asObject(value, name);
  for (const [tag, text] of Object.entries(tags)) {
    if (typeof text !== 'string') throw invalidField(`${name}.${tag}`, 'must be a string');
  }
  return tags as Record<string, string>;
}

export function invalidField(name: string, reason: string): ApiError {
  return new ApiError('API_INVALID_BODY', { reason: `${name} ${reason}` });
}
