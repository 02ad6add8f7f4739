// The REST API on fastify, each request served from the caller's view of the node (NodeAccess)
// and traced while tracing is on (http-tracing.ts):
//
//   const api = await startHttpApi({ node, host: '127.0.0.1', port: 8000, metrics: registry, logger });
//   ... api.url ...
//   await api.close();
//
// Every body reaches the routes as a Buffer (one parser for any content type), so a key's
// value is stored byte for byte and JSON routes parse their own bodies whatever type curl
// claims. Port 0 binds an ephemeral port; `url` names the one bound.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { type NodeAccess, OpenAccess } from '../../access/node-access.js';
import type { KvNode } from '../../node/kv-node.js';
import { countClientConnections } from '../../observability/connection-metrics.js';
import type { Logger } from '../../observability/logger.js';
import type { Server as HttpsServer } from 'node:https';
import type { ReloadingHttpsOptions } from '../../tls/index.js';
import type { AuthManager } from '../../auth/auth-manager.js';
import { registerAdminRoutes } from './admin-routes.js';
import { registerAuthRoutes } from './auth-routes.js';
import { registerBatchRoutes } from './batch-routes.js';
import { registerConsoleRoutes } from './console-route.js';
import { frameworkErrorReply, installErrorReplies } from './error-replies.js';
import { registerEtcdGateway } from './etcd-gateway/gateway-routes.js';
import { registerHealthRoutes } from './health-routes.js';
import { type HttpLimits, resolveHttpLimits } from './http-limits.js';
import { resolveCallerNodes } from './http-caller.js';
import { httpMetrics, recordRequestDurations } from './http-metrics.js';
import { traceRequests } from './http-tracing.js';
import { tracingOn } from '../../observability/spans.js';
import { registerKeyRoutes } from './key-routes.js';
import { registerLeaseRoutes } from './lease-routes.js';
import { registerListRoute } from './list-route.js';
import { registerMemberRoutes } from './member-routes.js';
import { registerOpenApiRoute } from './openapi-route.js';
import { assertCatalogueMatches, HTTP_ROUTES, type HttpRoute, routeName } from './route-catalogue.js';
import type { RouteContext } from './route-context.js';
import { registerTransactionRoute } from './transaction-route.js';
import { refuseUndeclaredInput } from './undeclared-input.js';
import { registerWatchRoute } from './watch-route.js';

export interface HttpApiOptions {
  /** Answers the readiness probe; client routes reach it only through `access`. */
  readonly node: KvNode;
  /** How a request's credentials become its view of the node; every caller gets the node itself when omitted. */
  readonly access?: NodeAccess;
  /** Serves POST /api/v1/auth/authenticate; without it that route answers that authentication is not enabled. */
  readonly auth?: AuthManager;
  readonly host: string;
  /** 0 binds an ephemeral port. */
  readonly port: number;
  readonly metrics: Registry;
  readonly logger: Logger;
  readonly limits?: Partial<HttpLimits>;
  /** The node's gRPC port, named on every answer so a client that dialed this port by mistake can say which one to use. */
  readonly grpcPort?: number;
  /** The gRPC API's target for calls from this process (GrpcApi.localTarget), which the etcd JSON gateway makes its calls on. */
  readonly grpcLocalTarget?: string;
  /** HTTPS (see src/tls), its certificate replaced at each reload; plain HTTP when absent. */
  readonly https?: ReloadingHttpsOptions;
  /** The built web console; dist/console of the package this code runs from when absent. */
  readonly consoleDirectory?: string;
}

/** Spelled again in src/client/http-port-probe.ts, which imports nothing from the server. */
const GRPC_PORT_HEADER = 'x-bvault-grpc-port';

export interface HttpApi {
  /** `http://host:port` (or https://) of the bound listener. */
  readonly url: string;
  /** The fastify instance, for `inject` in tests. */
  readonly app: FastifyInstance;
  /** Stops accepting requests and closes every connection, open watch streams included. */
  close(): Promise<void>;
}

/** Builds the server without listening: what tests drive with `inject`. */
export async function buildHttpApi(options: Omit<HttpApiOptions, 'host' | 'port'>): Promise<FastifyInstance> {
  const limits = resolveHttpLimits(options.limits);
  const context: RouteContext = { limits, logger: options.logger };
  const https = options.https === undefined ? {} : { https: options.https.serverOptions };
  // Typed as the plain HTTP instance the routes are written against; HTTPS changes only the socket.
  const app = Fastify({ bodyLimit: limits.requestBytesMax, frameworkErrors: frameworkErrorReply, forceCloseConnections: true, ...https }) as unknown as FastifyInstance;
  options.https?.onReload((secureContext) => (app.server as unknown as HttpsServer).setSecureContext(secureContext));
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  installErrorReplies(app, limits, options.logger);
  const grpcPort = options.grpcPort;
  if (grpcPort !== undefined) {
    app.addHook('onRequest', async (_request, reply) => {
      reply.header(GRPC_PORT_HEADER, String(grpcPort));
    });
  }
  if (tracingOn()) traceRequests(app);
  const registered = recordRegisteredRoutes(app);
  resolveCallerNodes(app, options.access ?? new OpenAccess(options.node), HTTP_ROUTES);
  refuseUndeclaredInput(app, HTTP_ROUTES);
  const metrics = httpMetrics(options.metrics);
  recordRequestDurations(app, metrics);
  registerHealthRoutes(app, options.node, options.metrics);
  registerKeyRoutes(app, context);
  registerListRoute(app, context);
  registerBatchRoutes(app, context);
  registerTransactionRoute(app, context);
  registerWatchRoute(app, context, metrics);
  registerLeaseRoutes(app, context);
  registerAdminRoutes(app);
  registerMemberRoutes(app);
  registerAuthRoutes(app, options.auth);
  registerOpenApiRoute(app);
  registerConsoleRoutes(app, options.node, options.consoleDirectory);
  registerEtcdGateway(app, { requestBytesMax: limits.requestBytesMax, ...(options.grpcLocalTarget === undefined ? {} : { grpcTarget: options.grpcLocalTarget }), ...(options.auth === undefined ? {} : { auth: options.auth }) });
  await app.ready();
  assertCatalogueMatches(registered, HTTP_ROUTES);
  return app;
}

/** Every route as it is registered; HEAD, which fastify derives from GET, is left out. */
function recordRegisteredRoutes(app: FastifyInstance): Set<string> {
  const registered = new Set<string>();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') registered.add(routeName({ method: method as HttpRoute['method'], url: route.url }));
  });
  return registered;
}

export async function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const app = await buildHttpApi(options);
  countClientConnections(options.metrics, 'http', app.server);
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error(`the HTTP API bound an unexpected address: ${String(address)}`);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${options.https === undefined ? 'http' : 'https'}://${host}:${address.port}`,
    app,
    // forceCloseConnections ends open watch streams, which never end by themselves.
    close: () => app.close(),
  };
}
