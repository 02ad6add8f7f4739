// POST /api/v1/batch/{put,get,delete}. A batch put or delete is one transaction: all of it
// applies under one revision or none of it does. A batch get reads every key at one revision.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { MvccError, type PutRequest, type RequestOp, validateRequest } from '../../mvcc/index.js';
import { batchDeleteBody, batchGetBody, batchPutBody } from './body-schemas.js';
import { bytesOf, type JsonBytes } from './json-schemas.js';
import { keyValueJson } from './key-view.js';
import { txnOf } from '../shared/node-responses.js';
import { parseJsonBody } from './request-parsing.js';
import type { RouteContext } from './route-context.js';
import { getBatch, putBatch } from '../shared/key-batches.js';

export function registerBatchRoutes(app: FastifyInstance, context: RouteContext): void {
  app.post('/api/v1/batch/put', (request, reply) => batchPut(context, request, reply));
  app.post('/api/v1/batch/get', (request, reply) => batchGet(context, request, reply));
  app.post('/api/v1/batch/delete', (request, reply) => batchDelete(context, request, reply));
}

/** `{ items: [{ key, value, lease?, contentType?, tags? }], ttl? }`; `ttl` grants one lease for the items without one. */
async function batchPut(context: RouteContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const body = parseJsonBody(request, batchPutBody);
  const puts = body.items.map(putOf);
  const txn = await putBatch(request.callerNode, context, puts, body.ttl ?? 0);
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

/** `{ keys: [...], consistency? }` → `{ revision, items }`, items aligned with keys, null where missing. */
async function batchGet(context: RouteContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const body = parseJsonBody(request, batchGetBody);
  const read = await getBatch(request.callerNode, context.limits, body.keys.map(bytesOf), { consistency: body.consistency ?? 'linearizable', revision: 0 });
  if (read === undefined) {
    await reply.send({ revision: null, items: [] });
    return;
  }
  await reply.send({ revision: read.revision, items: read.kvs.map((kv) => (kv === undefined ? null : keyValueJson(kv))) });
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
