// The seeds' per-key conditions of the native API, read from protobuf (whose 64-bit numbers
// must fit a JavaScript number) and turned into compares by the layer the REST API shares.
import type { Compare } from '../../../mvcc/index.js';
import type { Condition } from '../../../generated/beavervault/v1/transaction.js';
import { seedConditionCompare } from '../../shared/seed-conditions.js';
import { nonNegativeNumberOf } from '../wire-numbers.js';

export function compareOf(key: Uint8Array, condition: Condition, field: string): Compare {
  const { ifVersionMatch, ifModRevisionMatch } = condition;
  return seedConditionCompare(
    key,
    {
      ifVersionMatch: ifVersionMatch === undefined ? undefined : nonNegativeNumberOf(ifVersionMatch, `${field}.if_version_match`),
      ifModRevisionMatch: ifModRevisionMatch === undefined ? undefined : nonNegativeNumberOf(ifModRevisionMatch, `${field}.if_mod_revision_match`),
      ifValueMatch: condition.ifValueMatch,
      // The proto defines if_exists and if_not_exists as flags to set to true; false is no test.
      ifExists: condition.ifExists === true ? true : undefined,
      ifNotExists: condition.ifNotExists === true ? true : undefined,
    },
    field,
  );
}

export function comparesOf(key: Uint8Array, conditions: readonly Condition[], field: string): Compare[] {
  return conditions.map((condition, index) => compareOf(key, condition, `${field}[${index}]`));
}
