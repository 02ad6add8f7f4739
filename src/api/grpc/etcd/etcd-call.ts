// The glue between grpc-js handlers and async service code: each call is served from the
// caller's view of the node, resolved once (a stream's at its start), and a rejected promise
// becomes the etcd-compatible gRPC status and message from the shared registry (src/api/errors.ts).
import { Metadata, type sendUnaryData, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import type { NodeAccess } from '../../../access/node-access.js';
import { mvccError } from '../../../mvcc/index.js';
import type { KvNode } from '../../../node/kv-node.js';
import { toEtcdError } from '../../errors.js';
import { callerNode, type IncomingCall } from '../grpc-caller.js';
import type { ResponseHeaders } from '../response-headers.js';

/** What every etcd service is given: the access to the node and the response headers. */
export interface EtcdContext {
  readonly access: NodeAccess;
  readonly headers: ResponseHeaders;
}

export function etcdServiceError(error: unknown): ServiceError {
  const etcdError = toEtcdError(error);
  return Object.assign(new Error(etcdError.message), { code: etcdError.grpc, details: etcdError.message, metadata: new Metadata() });
}

/** Wraps an async unary implementation as a grpc-js handler; `method` is the full gRPC path. */
export function unary<Request, Response>(context: EtcdContext, method: string, handle: (node: KvNode, request: Request) => Promise<Response>) {
  return (call: ServerUnaryCall<Request, Response>, callback: sendUnaryData<Response>): void => {
    const shared = context.access.sameForEveryCaller;
    const answered = shared !== undefined ? handle(shared, call.request) : callerNode(context.access, 'etcd', method, call).then((node) => handle(node, call.request));
    answered.then(
      (response) => callback(null, response),
      (error: unknown) => callback(etcdServiceError(error)),
    );
  };
}

/**
 * Starts a stream on the caller's view of the node, resolved once before the first message is
 * read; credentials that do not hold end the stream with etcd's status.
 */
export function onCallerNode(context: EtcdContext, method: string, call: IncomingCall & { emit(event: 'error', error: ServiceError): boolean }, start: (node: KvNode) => void): void {
  const shared = context.access.sameForEveryCaller;
  if (shared !== undefined) return start(shared);
  callerNode(context.access, 'etcd', method, call).then(start, (error: unknown) => call.emit('error', etcdServiceError(error)));
}

/** A bigint from the wire as a safe JavaScript number; larger values are refused, not rounded. */
export function safeNumber(value: bigint, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw mvccError('MVCC_INVALID_ARGUMENT', { reason: `${field} ${value} is beyond 2^53` });
  }
  return Number(value);
}
