// Keys between the state machine's types and the native messages: key-values with their
// metadata, read consistency, and put requests with content type and tags.
import type { KeyValue, PutRequest } from '../../../mvcc/index.js';
import type { ReadConsistency } from '../../../node/kv-node.js';
import { Consistency, type KeyValue as KeyValueMessage } from '../../../generated/beavervault/v1/types.js';
import { ApiError } from '../../errors.js';
import { safeNumberOf } from '../wire-numbers.js';

export function keyValueMessage(kv: KeyValue): KeyValueMessage {
  return {
    key: kv.key,
    value: kv.value,
    createRevision: BigInt(kv.createRevision),
    modRevision: BigInt(kv.modRevision),
    version: BigInt(kv.version),
    lease: BigInt(kv.lease),
    metadata: {
      contentType: kv.metadata.contentType,
      createdAtMs: BigInt(kv.metadata.createdAtMs),
      updatedAtMs: BigInt(kv.metadata.updatedAtMs),
      tags: Object.fromEntries(kv.metadata.tags),
    },
  };
}

export function readConsistencyOf(consistency: Consistency): ReadConsistency {
  switch (consistency) {
    case Consistency.CONSISTENCY_LINEARIZABLE:
      return 'linearizable';
    case Consistency.CONSISTENCY_SERIALIZABLE:
      return 'serializable';
    default:
      throw new ApiError('API_INVALID_PARAMETER', { name: 'consistency', reason: `unknown value ${String(consistency)}` });
  }
}

/** The fields every native put carries: key, value, content type, tags and lease. */
export interface PutFields {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly contentType: string;
  readonly tags: { readonly [name: string]: string };
  readonly lease: bigint;
}

export function putRequestOf(fields: PutFields, extra: Omit<PutRequest, 'key' | 'value' | 'contentType' | 'tags' | 'lease'> = {}): PutRequest {
  const lease = safeNumberOf(fields.lease, 'lease');
  return {
    key: fields.key,
    value: fields.value,
    contentType: fields.contentType,
    tags: fields.tags,
    ...(lease === 0 ? {} : { lease }),
    ...extra,
  };
}
