// A server span for every gRPC call, native and etcd alike, while tracing is on (the server
// adds this interceptor only then): named /package.Service/Method as the semantic conventions
// name it (without the leading slash), continuing the trace of a traceparent in the call's
// metadata, with rpc.system, rpc.service, rpc.method and rpc.grpc.status_code. The handler runs
// with the span active, so the node's spans (src/node/proposal-trace.ts) hang beneath it, and a
// `reply` span covers sending the response until the status.
import { type Metadata, ServerInterceptingCall, type ServerInterceptor, status as GrpcStatus } from '@grpc/grpc-js';
import type { TextMapGetter } from '@opentelemetry/api';
import { parseMethodPath } from './method-path.js';
import { endSpan, serveInSpan, type ServerSpan, type Span, startChildSpan, startServerSpan } from '../../observability/spans.js';

const METADATA: TextMapGetter<Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => {
    const values = metadata.get(key).filter((value): value is string => typeof value === 'string');
    return values.length === 0 ? undefined : values;
  },
};

/** The codes that mean the server failed (the semantic conventions' rule for server spans). */
const SERVER_FAILURES: ReadonlySet<number> = new Set([GrpcStatus.UNKNOWN, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.UNIMPLEMENTED, GrpcStatus.INTERNAL, GrpcStatus.UNAVAILABLE, GrpcStatus.DATA_LOSS]);

export function grpcTracingInterceptor(): ServerInterceptor {
  return (descriptor, call) => {
    const { service, method } = parseMethodPath(descriptor.path);
    const attributes = { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method };
    let server: ServerSpan | undefined;
    let reply: Span | undefined;
    const served = (next: () => void): void => (server === undefined ? next() : serveInSpan(server, next));
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            server = startServerSpan(descriptor.path.slice(1), attributes, metadata, METADATA);
            nextMetadata(metadata);
          },
          onReceiveMessage: (message, nextMessage) => served(() => nextMessage(message)),
          onReceiveHalfClose: (nextHalfClose) => served(nextHalfClose),
        }),
      sendMessage: (message, next) => {
        if (server !== undefined && reply === undefined) reply = startChildSpan(server.span, 'reply');
        next(message);
      },
      sendStatus: (status, next) => {
        endSpan(reply);
        if (server !== undefined) {
          const code = status.code ?? GrpcStatus.UNKNOWN;
          server.span.setAttribute('rpc.grpc.status_code', code);
          endSpan(server.span, SERVER_FAILURES.has(code) ? (status.details ?? `gRPC status ${code}`) : undefined);
        }
        next(status);
      },
    });
  };
}
