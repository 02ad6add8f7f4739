// One gRPC server per node on --grpc-port, serving the native beavervault.v1.KV service and
// the etcd v3 services, each call served from the caller's view of the node (NodeAccess), and
// traced while tracing is on (grpc-tracing.ts):
//
//   const api = await startGrpcApi({ node, host: '127.0.0.1', port: 9090, metrics: registry, logger });
//   ... api.port ...
//   await api.close();
//
// Port 0 binds an ephemeral port; `port` names the one bound.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Server as HttpServer } from 'node:http';
import { type AddressInfo, createServer, type Server as NetServer, type Socket } from 'node:net';
import type { Registry } from 'prom-client';
import { type NodeAccess, OpenAccess } from '../../access/node-access.js';
import type { AuthManager } from '../../auth/auth-manager.js';
import type { KvNode } from '../../node/kv-node.js';
import { countClientConnections } from '../../observability/connection-metrics.js';
import type { Logger } from '../../observability/logger.js';
import type { GrpcContext } from './grpc-context.js';
import { type GrpcLimits, resolveGrpcLimits } from './grpc-limits.js';
import { grpcServerMetricsInterceptor } from './grpc-metrics.js';
import { grpcTracingInterceptor } from './grpc-tracing.js';
import { routeByPreface } from './http1-beside-grpc.js';
import { openLocalEndpoint } from './local-endpoint.js';
import { tracingOn } from '../../observability/spans.js';
import { ResponseHeaders } from './response-headers.js';
import { registerEtcdServices } from './etcd/index.js';
import { registerNativeService } from './native/native-service.js';

export interface GrpcApiOptions {
  /** The member's identity and position for response headers; calls reach it only through `access`. */
  readonly node: KvNode;
  /** How a call's credentials become its view of the node; every caller gets the node itself when omitted. */
  readonly access?: NodeAccess;
  /** Users, roles and Authenticate for etcd's Auth service (usually also the `access`). */
  readonly auth?: AuthManager;
  readonly host: string;
  /** 0 binds an ephemeral port. */
  readonly port: number;
  readonly metrics: Registry;
  readonly logger: Logger;
  readonly limits?: Partial<GrpcLimits>;
  /** TLS (see src/tls); plaintext when absent. */
  readonly credentials?: ServerCredentials;
  /**
   * The directory, made afresh with mode 0700, of the socket through which code in this
   * process calls the server (local-endpoint.ts); a member's is `<data-dir>/gateway`.
   */
  readonly localSocketDirectory: string;
}

export interface GrpcApi {
  /** The bound port. */
  readonly port: number;
  /** `host:port` of the bound listener, as a gRPC client dials it. */
  readonly address: string;
  /** The grpc-js target through which code in this process calls the server (local-endpoint.ts). */
  readonly localTarget: string;
  /**
   * Hands the port's HTTP/1 connections to `server` from now on (http1-beside-grpc.ts); until
   * then, and over TLS, a connection that does not speak HTTP/2 is closed.
   */
  serveHttp1(server: HttpServer): void;
  /** Stops accepting calls, lets unary calls finish briefly, then ends open streams. */
  close(): Promise<void>;
}

/** Adds a group of services to the server. */
export type ServiceRegistrar = (server: Server, context: GrpcContext) => void;

/** The single registration point of every service on the gRPC port. */
const SERVICE_REGISTRARS: readonly ServiceRegistrar[] = [registerNativeService, registerEtcdServices];

/** How long close() waits for calls in flight before it ends them; watches never end by themselves. */
const GRACEFUL_CLOSE_MS = 2_000;

// The server pings every connection, so a client that vanished without closing (a dead host,
// a cut network) loses its connection within 40 s and its watches and keep-alive streams are
// freed. grpc-js servers enforce no minimum interval on the clients' own pings.
const KEEPALIVE_OPTIONS = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
} as const;

// grpc-js keeps channelz statistics (calls, messages, sockets) on every call unless told not
// to; nothing reads them here, and they cost CPU on the hottest path of every request.
const CHANNELZ_OFF = { 'grpc.enable_channelz': 0 } as const;

export async function startGrpcApi(options: GrpcApiOptions): Promise<GrpcApi> {
  const limits = resolveGrpcLimits(options.limits);
  const context: GrpcContext = {
    access: options.access ?? new OpenAccess(options.node),
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    headers: new ResponseHeaders(options.node),
    limits,
    logger: options.logger,
  };
  const server = new Server({
    ...KEEPALIVE_OPTIONS,
    ...CHANNELZ_OFF,
    'grpc.max_receive_message_length': limits.requestBytesMax,
    'grpc.max_concurrent_streams': limits.concurrentStreamsMax,
    interceptors: tracingOn() ? [grpcServerMetricsInterceptor(options.metrics), grpcTracingInterceptor()] : [grpcServerMetricsInterceptor(options.metrics)],
  });
  for (const register of SERVICE_REGISTRARS) register(server, context);
  // The port is a plain TCP listener of our own whose connections are handed to grpc-js, so
  // that they can be counted: grpc-js counts connections only with channelz, which is off.
  const injector = server.createConnectionInjector(options.credentials ?? ServerCredentials.createInsecure());
  let http1: HttpServer | undefined;
  const toGrpc = (socket: Socket): void => injector.injectConnection(socket);
  const toHttp1 = (socket: Socket): void => {
    if (http1 === undefined) socket.destroy();
    else http1.emit('connection', socket);
  };
  const listener = createServer(options.credentials === undefined ? (socket) => routeByPreface(socket, toGrpc, toHttp1) : toGrpc);
  countClientConnections(options.metrics, 'grpc', listener);
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen({ host: options.host, port: options.port }, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  const port = (listener.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const local = await openLocalEndpoint(server, options.localSocketDirectory).catch(async (error: unknown) => {
    await closeServer(server, listener);
    throw error;
  });
  return {
    port,
    address: `${host}:${port}`,
    localTarget: local.target,
    serveHttp1: (httpServer) => {
      http1 = httpServer;
    },
    close: async () => {
      await local.close();
      await closeServer(server, listener);
    },
  };
}

/** Stops accepting connections, then shuts grpc-js down, ending what is still open after the grace time. */
function closeServer(server: Server, listener: NetServer): Promise<void> {
  listener.close();
  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), GRACEFUL_CLOSE_MS);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
