// 64-bit integers arrive from the generated code as bigint. Revisions, lease ids, TTLs and
// member ids (48-bit) all fit a JavaScript number; a larger value is refused, never rounded.
import { ApiError } from '../errors.js';

export function safeNumberOf(value: bigint, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ApiError('API_INVALID_PARAMETER', { name: field, reason: `${value} is beyond 2^53` });
  }
  return Number(value);
}

/** A count, revision or id that must not be negative. */
export function nonNegativeNumberOf(value: bigint, field: string): number {
  const number = safeNumberOf(value, field);
  if (number < 0) throw new ApiError('API_INVALID_PARAMETER', { name: field, reason: `must not be negative (got ${number})` });
  return number;
}
