// Put, Get and Delete of one key, and the batch calls (shared/key-batches.ts).
import { validateRequest } from '../../../mvcc/index.js';
import type {
  BatchGetRequest,
  BatchGetResponse,
  BatchPutRequest,
  BatchPutResponse,
  DeleteRequest,
  DeleteResponse,
  GetRequest,
  GetResponse,
  PutRequest,
  PutResponse,
} from '../../../generated/beavervault/v1/kv.js';
import type { KvNode } from '../../../node/kv-node.js';
import { ApiError } from '../../errors.js';
import { prefixEnd, prefixStart } from '../../shared/key-ranges.js';
import { getBatch, putBatch } from '../../shared/key-batches.js';
import { withTtlLeases } from '../../shared/ttl-leases.js';
import type { GrpcContext } from '../grpc-context.js';
import { nonNegativeNumberOf } from '../wire-numbers.js';
import { comparesOf } from './conditions.js';
import { conditionalWrite } from '../../shared/conditional-write.js';
import { keyValueMessage, putRequestOf, readConsistencyOf } from './key-messages.js';
import type { ResponseHeaders } from '../response-headers.js';

export class KeyCalls {
  constructor(
    private readonly context: GrpcContext,
    private readonly headers: ResponseHeaders,
  ) {}

  async put(node: KvNode, request: PutRequest): Promise<PutResponse> {
    const ttl = nonNegativeNumberOf(request.ttlSeconds, 'ttl_seconds');
    if (ttl > 0 && request.lease !== 0n) throw new ApiError('API_INVALID_PARAMETER', { name: 'ttl_seconds', reason: 'give either ttl_seconds or lease, not both' });
    const put = putRequestOf(request, { prevKv: request.prevKv });
    validateRequest({ type: 'put', put }, this.context.limits);
    const compares = comparesOf(request.key, request.conditions, 'conditions');
    let lease = put.lease ?? 0;
    const outcome = await withTtlLeases(
      node,
      this.context,
      ttl > 0 ? [ttl] : [],
      (leases) => {
        lease = leases.get(ttl) ?? lease;
        return conditionalWrite(node, { type: 'put', put: { ...put, lease } }, compares);
      },
      (result) => result.succeeded,
    );
    if (!outcome.succeeded) throw outcome.failure;
    const prevKv = outcome.response.type === 'put' ? outcome.response.put.prevKv : undefined;
    return { header: this.headers.header(outcome.revision), lease: BigInt(lease), ...(prevKv === undefined ? {} : { prevKv: keyValueMessage(prevKv) }) };
  }

  async get(node: KvNode, request: GetRequest): Promise<GetResponse> {
    const range = { key: request.key, revision: nonNegativeNumberOf(request.revision, 'revision') };
    validateRequest({ type: 'range', range }, this.context.limits);
    const response = await node.range(range, { consistency: readConsistencyOf(request.consistency) });
    const kv = response.kvs[0];
    if (kv === undefined) throw new ApiError('API_KEY_NOT_FOUND', { name: Buffer.from(request.key).toString('utf8') });
    return { header: this.headers.header(response.header.revision), kv: keyValueMessage(kv) };
  }

  async delete(node: KvNode, request: DeleteRequest): Promise<DeleteResponse> {
    const deleteRange = request.prefix
      ? { key: prefixStart(request.key), rangeEnd: prefixEnd(request.key), prevKv: request.prevKv }
      : { key: request.key, prevKv: request.prevKv };
    validateRequest({ type: 'deleteRange', deleteRange }, this.context.limits);
    const compares = comparesOf(request.key, request.conditions, 'conditions');
    const outcome = await conditionalWrite(node, { type: 'deleteRange', deleteRange }, compares);
    if (!outcome.succeeded) throw outcome.failure;
    const deleted = outcome.response.type === 'deleteRange' ? outcome.response.deleteRange : { deleted: 0, prevKvs: [] };
    return { header: this.headers.header(outcome.revision), deleted: BigInt(deleted.deleted), prevKvs: deleted.prevKvs.map(keyValueMessage) };
  }

  async batchPut(node: KvNode, request: BatchPutRequest): Promise<BatchPutResponse> {
    const ttl = nonNegativeNumberOf(request.ttlSeconds, 'ttl_seconds');
    const puts = request.items.map((item) => putRequestOf(item));
    const txn = await putBatch(node, this.context, puts, ttl);
    return { header: this.headers.header(txn.header.revision), count: BigInt(puts.length) };
  }

  async batchGet(node: KvNode, request: BatchGetRequest): Promise<BatchGetResponse> {
    const options = { consistency: readConsistencyOf(request.consistency), revision: nonNegativeNumberOf(request.revision, 'revision') };
    const read = await getBatch(node, this.context.limits, request.keys, options);
    if (read === undefined) return { header: this.headers.header(), results: [] };
    const results = read.kvs.map((kv, index) => ({ key: request.keys[index] ?? new Uint8Array(0), found: kv !== undefined, ...(kv === undefined ? {} : { kv: keyValueMessage(kv) }) }));
    return { header: this.headers.header(read.revision), results };
  }
}
