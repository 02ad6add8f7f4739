// List: keys by prefix, page by page. The first page pins the store revision in the cursor;
// every later page reads at that revision, so a listing is one consistent view even while
// writes continue (until the pinned revision is compacted: OUT_OF_RANGE).
import { type RangeRequest, validateRequest } from '../../../mvcc/index.js';
import type { ListRequest, ListResponse } from '../../../generated/beavervault/v1/kv.js';
import { keyAfter, prefixEnd, prefixStart } from '../../shared/key-ranges.js';
import type { KvNode } from '../../../node/kv-node.js';
import type { GrpcContext } from '../grpc-context.js';
import { nonNegativeNumberOf } from '../wire-numbers.js';
import { keyValueMessage, readConsistencyOf } from './key-messages.js';
import { decodeListCursor, encodeListCursor } from './list-cursor.js';

/** Keys per page when the request names no limit. */
const DEFAULT_PAGE_KEYS = 100;

export async function listKeys(context: GrpcContext, node: KvNode, request: ListRequest): Promise<ListResponse> {
  const requestedLimit = nonNegativeNumberOf(request.limit, 'limit');
  const limit = Math.min(requestedLimit === 0 ? DEFAULT_PAGE_KEYS : requestedLimit, context.limits.listPageKeysMax);
  const cursor = request.cursor.length === 0 ? undefined : decodeListCursor(request.cursor, request.prefix);
  const requestedRevision = cursor?.revision ?? nonNegativeNumberOf(request.revision, 'revision');
  const range: RangeRequest = {
    key: cursor?.nextKey ?? prefixStart(request.prefix),
    rangeEnd: prefixEnd(request.prefix),
    limit,
    revision: requestedRevision,
    keysOnly: request.keysOnly,
  };
  validateRequest({ type: 'range', range }, context.limits);
  const response = await node.range(range, { consistency: readConsistencyOf(request.consistency) });
  const revision = requestedRevision === 0 ? response.header.revision : requestedRevision;
  const last = response.kvs[response.kvs.length - 1];
  const nextCursor = response.more && last !== undefined ? encodeListCursor({ revision, nextKey: keyAfter(last.key) }) : new Uint8Array(0);
  return { header: context.headers.header(revision), kvs: response.kvs.map(keyValueMessage), nextCursor, count: BigInt(response.count) };
}
