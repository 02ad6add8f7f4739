// The seeds' per-key conditions as compares of one transaction, so the check and the write
// are atomic: if_version_match (0 means "absent"), if_mod_revision_match, if_value_match,
// if_exists and if_not_exists.
import { type Compare, CompareResult } from '../../../mvcc/index.js';
import type { Condition } from '../../../generated/beavervault/v1/transaction.js';
import { ApiError } from '../../errors.js';
import { nonNegativeNumberOf } from '../wire-numbers.js';

export function compareOf(key: Uint8Array, condition: Condition, field: string): Compare {
  if (condition.ifVersionMatch !== undefined) {
    return { key, target: 'version', result: CompareResult.Equal, version: nonNegativeNumberOf(condition.ifVersionMatch, `${field}.if_version_match`) };
  }
  if (condition.ifModRevisionMatch !== undefined) {
    return { key, target: 'mod', result: CompareResult.Equal, modRevision: nonNegativeNumberOf(condition.ifModRevisionMatch, `${field}.if_mod_revision_match`) };
  }
  if (condition.ifValueMatch !== undefined) return { key, target: 'value', result: CompareResult.Equal, value: condition.ifValueMatch };
  if (condition.ifExists === true) return { key, target: 'version', result: CompareResult.Greater, version: 0 };
  if (condition.ifNotExists === true) return { key, target: 'version', result: CompareResult.Equal, version: 0 };
  throw new ApiError('API_INVALID_PARAMETER', { name: field, reason: 'set one of if_version_match, if_mod_revision_match, if_value_match, if_exists or if_not_exists' });
}

export function comparesOf(key: Uint8Array, conditions: readonly Condition[], field: string): Compare[] {
  return conditions.map((condition, index) => compareOf(key, condition, `${field}[${index}]`));
}
