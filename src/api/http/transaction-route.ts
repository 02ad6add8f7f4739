// POST /api/v1/transaction — one atomic transaction in the etcd form (answers 200 with
// `succeeded` either way, as etcd does) or the seeds' form (all or nothing: 412 when a
// condition fails, and the leases granted for its ttl_seconds are revoked again).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type RequestOp, type TxnRequest, validateRequest } from '../../mvcc/index.js';
import type { KvNode } from '../../node/kv-node.js';
import { ApiError } from '../errors.js';
import { txnOf } from '../shared/node-responses.js';
import { parseJsonBody } from './request-parsing.js';
import type { RouteContext } from './route-context.js';
import { type LeasesByTtl, withTtlLeases } from '../shared/ttl-leases.js';
import { etcdTxnOf, responseOpJson, type SeedTransaction, seedTxnOf } from './transaction-json.js';
import { type EtcdTxnJson, transactionBody } from './transaction-schemas.js';

type JsonObject = Readonly<Record<string, unknown>>;

export function registerTransactionRoute(app: FastifyInstance, context: RouteContext): void {
  app.post('/api/v1/transaction', (request, reply) => transaction(context, request, reply));
}

async function transaction(context: RouteContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const body = parseJsonBody(request, transactionBody);
  if (body.operations !== undefined) {
    await reply.send(await seedTransaction(context, request.callerNode, seedTxnOf(body.operations)));
    return;
  }
  await reply.send(await etcdTransaction(context, request.callerNode, body));
}

async function etcdTransaction(context: RouteContext, node: KvNode, body: EtcdTxnJson): Promise<JsonObject> {
  const txnRequest = { type: 'txn', txn: etcdTxnOf(body) } as const;
  validateRequest(txnRequest, context.limits);
  const txn = txnOf(await node.write(txnRequest));
  return { succeeded: txn.succeeded, revision: txn.header.revision, responses: txn.responses.map(responseOpJson) };
}

async function seedTransaction(context: RouteContext, node: KvNode, seed: SeedTransaction): Promise<JsonObject> {
  validateRequest({ type: 'txn', txn: seed.txn }, context.limits);
  const txn = await withTtlLeases(
    node,
    context,
    seed.ttlPuts.values(),
    async (leases) => txnOf(await node.write({ type: 'txn', txn: withLeases(seed, leases) })),
    (result) => result.succeeded,
  );
  if (!txn.succeeded) throw new ApiError('API_PRECONDITION_FAILED', { reason: 'a condition of the transaction does not hold; nothing was written' });
  return { succeeded: true, revision: txn.header.revision, results: txn.responses.map(responseOpJson) };
}

function withLeases(seed: SeedTransaction, leases: LeasesByTtl): TxnRequest {
  const success = seed.txn.success.map((op, index): RequestOp => {
    const ttl = seed.ttlPuts.get(index);
    const lease = ttl === undefined ? undefined : leases.get(ttl);
    return op.type === 'put' && lease !== undefined ? { type: 'put', put: { ...op.put, lease } } : op;
  });
  return { ...seed.txn, success };
}
