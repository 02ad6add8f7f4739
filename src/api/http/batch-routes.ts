// POST /api/v1/batch/{put,get,delete}. A batch put or delete is one transaction: all of it
// applies under one revision or none of it does. A batch get reads every key at one revision.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { MvccError, type PutRequest, type RequestOp, validateRequest } from '../../mvcc/index.js';
import { batchDeleteBody, batchGetBody, batchPutBody } from './body-schemas.js';
import { bytesOf, type JsonBytes } from './json-schemas.js';
import { keyValueJson } from './key-view.js';
import { txnOf } from './node-responses.js';
import { parseJsonBody } from './request-parsing.js';
import type { RouteContext } from './route-context.js';
import { ttlList, withTtlLeases } from './ttl-leases.js';

export function registerBatchRoutes(app: FastifyInstance, context: RouteContext): void {
  app.post('/api/v1/batch/put', (request, reply) => batchPut(context, request, reply));
  app.post('/api/v1/batch/get', (request, reply) => batchGet(context, request, reply));
  app.post('/api/v1/batch/delete', (request, reply) => batchDelete(context, request, reply));
}

/** `{ items: [{ key, value, lease?, contentType?, tags? }], ttl? }`; `ttl` grants one lease for the items without one. */
async function batchPut(context: RouteContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const body = parseJsonBody(request, batchPutBody);
  const ttl = body.ttl;
  const puts = body.items.map(putOf);
  validateRequest({ type: 'txn', txn: { compare: [], success: puts.map(putOp), failure: [] } }, context.limits);
  const txn = await withTtlLeases(
    request.callerNode,
    context,
    ttlList(ttl),
    async (leases) => {
      const lease = ttl === undefined ? undefined : leases.get(ttl);
      const success = puts.map((put) => putOp(lease === undefined || put.lease !== undefined ? put : { ...put, lease }));
      return txnOf(await request.callerNode.write({ type: 'txn', txn: { compare: [], success, failure: [] } }));
    },
    () => true,
  );
  await reply.send({ revision: txn.header.revision, count: puts.length });
}

function putOf(item: z.output<typeof batchPutBody>['items'][number]): PutRequest {
  const { lease, contentType, tags } = item;
  return {
    key: bytesOf(item.key),
    value: bytesOf(item.value),
    ...(lease === undefined ? {} : { lease }),
    ...(contentType === undefined ? {} : { contentType }),
    ...(tags === undefined ? {} : { tags }),
  };
}

function putOp(put: PutRequest): RequestOp {
  return { type: 'put', put };
}

/** `{ keys: [...], consistency? }` → `{ revision, items }`, items aligned with keys, null where missing. */
async function batchGet(context: RouteContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const body = parseJsonBody(request, batchGetBody);
  const keys = keysOf(context, body.keys);
  for (const key of keys) validateRequest({ type: 'range', range: { key } }, context.limits);
  const [first, ...rest] = keys;
  if (first === undefined) {
    await reply.send({ revision: null, items: [] });
    return;
  }
  // The first read fixes the revision (linearizable unless asked otherwise); the others read
  // that same revision locally, which this node has applied by then.
  const head = await request.callerNode.range({ key: first }, { consistency: body.consistency ?? 'linearizable' });
  const revision = head.header.revision;
  const tail = await Promise.all(rest.map((key) => request.callerNode.range({ key, revision }, { consistency: 'serializable' })));
  const items = [head, ...tail].map((response) => {
    const kv = response.kvs[0];
    return kv === undefined ? null : keyValueJson(kv);
  });
  await reply.send({ revision, items });
}

/** `{ keys: [...], prevKv? }` → `{ revision, deleted, prevKvs? }`. */
async function batchDelete(context: RouteContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const body = parseJsonBody(request, batchDeleteBody);
  const prevKv = body.prevKv ?? false;
  const success: RequestOp[] = keysOf(context, body.keys).map((key) => ({ type: 'deleteRange', deleteRange: { key, prevKv } }));
  const txnRequest = { type: 'txn', txn: { compare: [], success, failure: [] } } as const;
  validateRequest(txnRequest, context.limits);
  const txn = txnOf(await request.callerNode.write(txnRequest));
  let deleted = 0;
  const prevKvs = [];
  for (const response of txn.responses) {
    if (response.type !== 'deleteRange') continue;
    deleted += response.deleteRange.deleted;
    prevKvs.push(...response.deleteRange.prevKvs.map((kv) => keyValueJson(kv)));
  }
  await reply.send({ revision: txn.header.revision, deleted, ...(prevKv ? { prevKvs } : {}) });
}

function keysOf(context: RouteContext, keys: readonly JsonBytes[]): Uint8Array[] {
  if (keys.length > context.limits.txnOperationsMax) throw new MvccError('MVCC_TOO_MANY_TXN_OPS');
  return keys.map(bytesOf);
}
