// The glue between grpc-js handlers and async service code: a rejected promise becomes the
// etcd-compatible gRPC status and message from the shared registry (src/api/errors.ts).
import { Metadata, type sendUnaryData, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { mvccError } from '../../../mvcc/index.js';
import { toEtcdError } from '../../errors.js';

export function etcdServiceError(error: unknown): ServiceError {
  const etcdError = toEtcdError(error);
  return Object.assign(new Error(etcdError.message), { code: etcdError.grpc, details: etcdError.message, metadata: new Metadata() });
}

/** Wraps an async unary implementation as a grpc-js handler. */
export function unary<Request, Response>(handle: (request: Request) => Promise<Response>) {
  return (call: ServerUnaryCall<Request, Response>, callback: sendUnaryData<Response>): void => {
    handle(call.request).then(
      (response) => callback(null, response),
      (error: unknown) => callback(etcdServiceError(error)),
    );
  };
}

/** A bigint from the wire as a safe JavaScript number; larger values are refused, not rounded. */
export function safeNumber(value: bigint, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw mvccError('MVCC_INVALID_ARGUMENT', { reason: `${field} ${value} is beyond 2^53` });
  }
  return Number(value);
}
