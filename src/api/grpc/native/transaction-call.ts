// Transaction in either form. The seeds' form `operations: [{ type, key, value, conditions,
// ttl_seconds }]` becomes one txn whose compares are all the operations' conditions and whose
// success branch is the operations in order; each distinct ttl_seconds is a lease granted
// first and revoked again when the txn did not apply. The etcd form maps one to one.
import { type Compare, type RequestOp, type TxnRequest, validateRequest } from '../../../mvcc/index.js';
import { type Operation, OperationType, type TransactionRequest, type TransactionResponse } from '../../../generated/beavervault/v1/transaction.js';
import type { KvNode } from '../../../node/kv-node.js';
import { ApiError } from '../../errors.js';
import { txnOf } from '../../shared/node-responses.js';
import { withTtlLeases } from '../../shared/ttl-leases.js';
import type { GrpcContext } from '../grpc-context.js';
import { nonNegativeNumberOf } from '../wire-numbers.js';
import { comparesOf } from './conditions.js';
import { putRequestOf } from './key-messages.js';
import { responseOpMessage, txnRequestOf } from './transaction-messages.js';

export async function runTransaction(context: GrpcContext, node: KvNode, request: TransactionRequest): Promise<TransactionResponse> {
  const etcdForm = request.compare.length + request.success.length + request.failure.length > 0;
  if (etcdForm && request.operations.length > 0) {
    throw new ApiError('API_INVALID_PARAMETER', { name: 'operations', reason: 'give either operations or compare/success/failure, not both' });
  }
  return etcdForm ? runEtcdForm(context, node, txnRequestOf(request, 'transaction')) : runSeedForm(context, node, request.operations);
}

async function runEtcdForm(context: GrpcContext, node: KvNode, txn: TxnRequest): Promise<TransactionResponse> {
  validateRequest({ type: 'txn', txn }, context.limits);
  const response = txnOf(await node.write({ type: 'txn', txn }));
  return {
    header: context.headers.header(response.header.revision),
    succeeded: response.succeeded,
    responses: response.responses.map((op) => responseOpMessage(op)),
  };
}

async function runSeedForm(context: GrpcContext, node: KvNode, operations: readonly Operation[]): Promise<TransactionResponse> {
  const compare: Compare[] = [];
  const ttls = operations.map((operation, index) => nonNegativeNumberOf(operation.ttlSeconds, `operations[${index}].ttl_seconds`));
  const success = operations.map((operation, index) => {
    compare.push(...comparesOf(operation.key, operation.conditions, `operations[${index}].conditions`));
    return seedOperationOf(operation, index);
  });
  validateRequest({ type: 'txn', txn: { compare, success, failure: [] } }, context.limits);
  const withLeases = (leases: ReadonlyMap<number, number>): RequestOp[] =>
    success.map((op, index) => {
      const lease = leases.get(ttls[index] ?? 0);
      return op.type === 'put' && lease !== undefined ? { type: 'put', put: { ...op.put, lease } } : op;
    });
  let granted: ReadonlyMap<number, number> = new Map();
  const response = await withTtlLeases(
    node,
    context,
    ttls.filter((ttl) => ttl > 0),
    async (leases) => {
      granted = leases;
      return txnOf(await node.write({ type: 'txn', txn: { compare, success: withLeases(leases), failure: [] } }));
    },
    (txn) => txn.succeeded,
  );
  return {
    header: context.headers.header(response.header.revision),
    succeeded: response.succeeded,
    responses: response.responses.map((op, index) => responseOpMessage(op, response.succeeded ? (granted.get(ttls[index] ?? 0) ?? 0) : 0)),
  };
}

function seedOperationOf(operation: Operation, index: number): RequestOp {
  const onlyForPut = operation.value.length > 0 || operation.ttlSeconds !== 0n || operation.contentType !== '' || Object.keys(operation.tags).length > 0;
  switch (operation.type) {
    case OperationType.OPERATION_TYPE_PUT:
      return { type: 'put', put: putRequestOf({ ...operation, lease: 0n }) };
    case OperationType.OPERATION_TYPE_GET:
    case OperationType.OPERATION_TYPE_DELETE:
      if (onlyForPut) throw new ApiError('API_INVALID_PARAMETER', { name: `operations[${index}]`, reason: 'value, ttl_seconds, content_type and tags belong to a PUT' });
      return operation.type === OperationType.OPERATION_TYPE_GET ? { type: 'range', range: { key: operation.key } } : { type: 'deleteRange', deleteRange: { key: operation.key } };
    default:
      throw new ApiError('API_INVALID_PARAMETER', { name: `operations[${index}].type`, reason: `unknown value ${String(operation.type)}` });
  }
}
