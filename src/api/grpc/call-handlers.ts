// The glue between grpc-js handlers and the native service's async code, for the four kinds of
// call (the etcd services have their own, with etcd's errors: etcd/etcd-call.ts). Each
// wrapper resolves the caller's view of the node once (a stream's at its start) and hands it
// to the handler, which never sees the node itself, and turns a rejected promise into the
// registry's gRPC status with the stable code in a trailer (grpc-errors.ts); calls are counted
// and timed for every service alike by the server's interceptor (grpc-metrics.ts). Each
// wrapper spells out "the shared node, or the view resolved for this call" rather than calling
// a helper with a closure, so that with OpenAccess a call allocates nothing it did not
// allocate before views existed.
//
//   KV.Put:   unaryCall(context, 'Put', async (node, request) => response)
//   KV.Watch: serverStreamCall(context, 'Watch', async (node, request, stream) => { await stream.send(message); })
import {
  type handleBidiStreamingCall,
  type handleClientStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type ServerDuplexStream,
  type ServiceError,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import type { KvNode } from '../../node/kv-node.js';
import { callerNode } from './grpc-caller.js';
import type { GrpcContext } from './grpc-context.js';
import { isInternal, nativeServiceError } from './grpc-errors.js';

/** The sending side of a server stream, with flow control and an end the handler can see. */
export interface OutgoingStream<Response> {
  /** Resolves once the message is queued within the stream's buffer; false when the client went away. */
  send(message: Response): Promise<boolean>;
  /** Aborted when the client cancels or the call ends any other way. */
  readonly signal: AbortSignal;
}

type WritableCall<Response> = ServerWritableStream<unknown, Response> | ServerDuplexStream<unknown, Response>;

/** The status a failed call answers with; a fault of the server's own is logged. */
function failure(context: GrpcContext, method: string, error: unknown): ServiceError {
  const serviceError = nativeServiceError(error);
  if (isInternal(serviceError)) context.logger.error({ err: error, method }, 'gRPC call failed');
  return serviceError;
}

export function unaryCall<Request, Response>(context: GrpcContext, method: string, handle: (node: KvNode, request: Request) => Promise<Response>): handleUnaryCall<Request, Response> {
  return (call, callback) => {
    const shared = context.access.sameForEveryCaller;
    const answered = shared !== undefined ? handle(shared, call.request) : callerNode(context.access, 'native', method, call).then((node) => handle(node, call.request));
    answered.then(
      (response) => callback(null, response),
      (error: unknown) => callback(failure(context, method, error)),
    );
  };
}

export function serverStreamCall<Request, Response>(
  context: GrpcContext,
  method: string,
  handle: (node: KvNode, request: Request, stream: OutgoingStream<Response>) => Promise<void>,
): handleServerStreamingCall<Request, Response> {
  return (call) => {
    const stream = outgoingStream(call as WritableCall<Response>);
    const shared = context.access.sameForEveryCaller;
    const served = shared !== undefined ? handle(shared, call.request, stream) : callerNode(context.access, 'native', method, call).then((node) => handle(node, call.request, stream));
    served.then(
      () => call.end(),
      (error: unknown) => call.emit('error', failure(context, method, error)),
    );
  };
}

/** The client's messages arrive as an async iterable; the handler's result is the one response. */
export function clientStreamCall<Request, Response>(
  context: GrpcContext,
  method: string,
  handle: (node: KvNode, requests: AsyncIterable<Request>) => Promise<Response>,
): handleClientStreamingCall<Request, Response> {
  return (call, callback) => {
    const shared = context.access.sameForEveryCaller;
    const answered = shared !== undefined ? handle(shared, incoming(call)) : callerNode(context.access, 'native', method, call).then((node) => handle(node, incoming(call)));
    answered.then(
      (response) => callback(null, response),
      (error: unknown) => {
        // The client may still be sending; what it sends next is of no use.
        call.destroy();
        callback(failure(context, method, error));
      },
    );
  };
}

export function bidiStreamCall<Request, Response>(
  context: GrpcContext,
  method: string,
  handle: (node: KvNode, requests: AsyncIterable<Request>, stream: OutgoingStream<Response>) => Promise<void>,
): handleBidiStreamingCall<Request, Response> {
  return (call) => {
    const stream = outgoingStream(call as WritableCall<Response>);
    const shared = context.access.sameForEveryCaller;
    const served = shared !== undefined ? handle(shared, incoming(call), stream) : callerNode(context.access, 'native', method, call).then((node) => handle(node, incoming(call), stream));
    served.then(
      () => call.end(),
      (error: unknown) => call.emit('error', failure(context, method, error)),
    );
  };
}

/**
 * The client's messages. A plain `for await` over the call would destroy it when the client
 * half-closes, and with it the chance to send the status (and, on a bidi call, the last replies).
 */
export function incoming<Request>(call: Readable): AsyncIterable<Request> {
  return call.iterator({ destroyOnReturn: false }) as AsyncIterable<Request>;
}

export function outgoingStream<Response>(call: WritableCall<Response>): OutgoingStream<Response> {
  const ended = new AbortController();
  const end = (): void => ended.abort();
  call.once('cancelled', end);
  call.once('close', end);
  call.once('finish', end);
  return {
    signal: ended.signal,
    send: async (message) => {
      if (ended.signal.aborted) return false;
      if (call.write(message)) return true;
      try {
        await once(call, 'drain', { signal: ended.signal });
        return true;
      } catch {
        return false;
      }
    },
  };
}
