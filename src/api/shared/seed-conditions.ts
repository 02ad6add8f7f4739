// The seeds' per-key conditions as compares of one transaction, so the check and the write are
// atomic. The REST and gRPC APIs both accept them (as JSON and as protobuf); each reads its own
// encoding and both turn a condition into a compare here, so the two cannot drift apart.
import { type Compare, CompareResult } from '../../mvcc/index.js';
import { ApiError } from '../errors.js';

/** Exactly one test should be set; the APIs' schemas say which they accept. */
export interface SeedCondition {
  /** The key has this version; 0 means it does not exist. */
  readonly ifVersionMatch?: number;
  readonly ifModRevisionMatch?: number;
  readonly ifValueMatch?: Uint8Array;
  /** true: the key exists; false: it does not. */
  readonly ifExists?: boolean;
  readonly ifNotExists?: true;
}

export const SEED_CONDITION_NAMES = ['if_version_match', 'if_mod_revision_match', 'if_value_match', 'if_exists', 'if_not_exists'] as const;

/** `field` names the condition in the request, for the error when it sets no test. */
export function seedConditionCompare(key: Uint8Array, condition: SeedCondition, field: string): Compare {
  if (condition.ifVersionMatch !== undefined) return { key, target: 'version', result: CompareResult.Equal, version: condition.ifVersionMatch };
  if (condition.ifModRevisionMatch !== undefined) return { key, target: 'mod', result: CompareResult.Equal, modRevision: condition.ifModRevisionMatch };
  if (condition.ifValueMatch !== undefined) return { key, target: 'value', result: CompareResult.Equal, value: condition.ifValueMatch };
  if (condition.ifExists !== undefined) return { key, target: 'version', result: condition.ifExists ? CompareResult.Greater : CompareResult.Equal, version: 0 };
  if (condition.ifNotExists === true) return { key, target: 'version', result: CompareResult.Equal, version: 0 };
  throw new ApiError('API_INVALID_PARAMETER', { name: field, reason: `set one of ${SEED_CONDITION_NAMES.join(', ')}` });
}
