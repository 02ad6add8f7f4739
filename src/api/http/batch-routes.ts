// POST /api/v1/batch/{put,get,delete}. A batch put or delete is one transaction: all of it
// applies under one revision or none of it does. A batch get reads every key at one revision.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MvccError, type PutRequest, type RequestOp, validateRequest } from '../../mvcc/index.js';
import { keyValueJson } from './key-view.js';
import { txnOf } from './node-responses.js';
import {
  asArray,
  asObject,
  bytesField,
  consistencyOf,
  jsonBody,
  optionalBoolean,
  optionalInteger,
  optionalString,
  optionalTags,
} from './request-parsing.js';
import type { RouteContext } from './route-context.js';
import { ttlList, withTtlLeases } from './ttl-leases.js';

export function registerBatchRoutes(app: FastifyInstance, context: RouteContext): void {
  app.post('/api/v1/batch/put', (request, reply) => batchPut(context, request, reply));
  app.post('/api/v1/batch/get', (request, reply) => batchGet(context, request, reply));
  app.post('/api/v1/batch/delete', (request, reply) => batchDelete(context, request, reply));
}

/** `{ items: [{ key, value, lease?, contentType?, tags? }], ttl? }`; `ttl` grants one lease for the items without one. */
async function batchPut(context: RouteContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const body = jsonBody(request);
  const ttl = optionalInteger(body.ttl, 'ttl', 1);
  const puts = asArray(body.items, 'items').map((item, index) => putOf(item, `items[${index}]`));
  validateRequest({ type: 'txn', txn: { compare: [], success: puts.map(putOp), failure: [] } }, context.limits);
  const txn = await withTtlLeases(
    context,
    ttlList(ttl),
    async (leases) => {
      const lease = ttl === undefined ? undefined : leases.get(ttl);
      const success = puts.map((put) => putOp(lease === undefined || put.lease !== undefined ? put : { ...put, lease }));
      return txnOf(await context.node.write({ type: 'txn', txn: { compare: [], success, failure: [] } }));
    },
    () => true,
  );
  await reply.send({ revision: txn.header.revision, count: puts.length });
}

function putOf(value: unknown, name: string): PutRequest {
  const item = asObject(value, name);
  const lease = optionalInteger(item.lease, `${name}.lease`, 1);
  const contentType = optionalString(item.contentType, `${name}.contentType`);
  const tags = optionalTags(item.tags, `${name}.tags`);
  return {
    key: bytesField(item.key, `${name}.key`),
    value: bytesField(item.value, `${name}.value`),
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
  const body = jsonBody(request);
  const keys = keysOf(context, body.keys);
  for (const key of keys) validateRequest({ type: 'range', range: { key } }, context.limits);
  const [first, ...rest] = keys;
  if (first === undefined) {
    await reply.send({ revision: null, items: [] });
    return;
  }
  // The first read fixes the revision (linearizable unless asked otherwise); the others read
  // that same revision locally, which this node has applied by then.
  const head = await context.node.range({ key: first }, { consistency: consistencyOf(body.consistency, 'consistency') });
  const revision = head.header.revision;
  const tail = await Promise.all(rest.map((key) => context.node.range({ key, revision }, { consistency: 'serializable' })));
  const items = [head, ...tail].map((response) => {
    const kv = response.kvs[0];
    return kv === undefined ? null : keyValueJson(kv);
  });
  await reply.send({ revision, items });
}

/** `{ keys: [...], prevKv? }` → `{ revision, deleted, prevKvs? }`. */
async function batchDelete(context: RouteContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const body = jsonBody(request);
  const prevKv = optionalBoolean(body.prevKv, 'prevKv') ?? false;
  const success: RequestOp[] = keysOf(context, body.keys).map((key) => ({ type: 'deleteRange', deleteRange: { key, prevKv } }));
  const txnRequest = { type: 'txn', txn: { compare: [], success, failure: [] } } as const;
  validateRequest(txnRequest, context.limits);
  const txn = txnOf(await context.node.write(txnRequest));
  let deleted = 0;
  const prevKvs = [];
  for (const response of txn.responses) {
    if (response.type !== 'deleteRange') continue;
    deleted += response.deleteRange.deleted;
    prevKvs.push(...response.deleteRange.prevKvs.map((kv) => keyValueJson(kv)));
  }
  await reply.send({ revision: txn.header.revision, deleted, ...(prevKv ? { prevKvs } : {}) });
}

function keysOf(context: RouteContext, value: unknown): Uint8Array[] {
  const keys = asArray(value, 'keys');
  if (keys.length > context.limits.txnOperationsMax) throw new MvccError('MVCC_TOO_MANY_TXN_OPS');
  return keys.map((key, index) => bytesField(key, `keys[${index}]`));
}
