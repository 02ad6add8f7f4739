// A server span for every REST request while tracing is on (buildHttpApi installs these hooks
// only then): named "<method> <route>" as the semantic conventions name it, continuing the
// trace of a traceparent header, with http.request.method, http.route and
// http.response.status_code. The route's handler runs with the span active, so the node's
// spans (src/node/proposal-trace.ts) hang beneath it, and a `reply` span covers sending the
// response.
import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { TextMapGetter } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import { endSpan, serveInSpan, type ServerSpan, type Span, startChildSpan, startServerSpan } from '../../observability/spans.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's spans; set only while tracing is on. */
    traceSpans: { readonly server: ServerSpan; reply?: Span } | undefined;
  }
}

const HEADERS: TextMapGetter<IncomingHttpHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => headers[key],
};

/** Registers the hooks; call it before any route is registered, so that every handler is wrapped. */
export function traceRequests(app: FastifyInstance): void {
  app.decorateRequest('traceSpans', undefined);
  app.addHook('onRoute', (route) => {
    const handler = route.handler as (this: FastifyInstance, request: FastifyRequest, reply: unknown) => unknown;
    route.handler = function (this: FastifyInstance, request, reply) {
      const spans = request.traceSpans;
      return spans === undefined ? handler.call(this, request, reply) : serveInSpan(spans.server, () => handler.call(this, request, reply));
    } as RouteHandlerMethod;
  });
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const server = startServerSpan(`${request.method} ${route}`, { 'http.request.method': request.method, 'http.route': route }, request.headers, HEADERS);
    if (server !== undefined) request.traceSpans = { server };
  });
  app.addHook('onSend', async (request) => {
    const spans = request.traceSpans;
    if (spans !== undefined) spans.reply ??= startChildSpan(spans.server.span, 'reply');
  });
  app.addHook('onResponse', async (request, reply) => {
    const spans = request.traceSpans;
    if (spans === undefined) return;
    endSpan(spans.reply);
    spans.server.span.setAttribute('http.response.status_code', reply.statusCode);
    endSpan(spans.server.span, reply.statusCode >= 500 ? `HTTP ${reply.statusCode}` : undefined);
  });
  app.addHook('onRequestAbort', async (request) => {
    const spans = request.traceSpans;
    if (spans === undefined) return;
    endSpan(spans.reply);
    endSpan(spans.server.span, 'the client closed the connection');
  });
}
