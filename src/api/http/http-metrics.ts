// The REST API's Prometheus metrics: request latency by route and method,
// and the number of open watch streams. Metrics are created once per registry, so two
// servers sharing a registry share the series instead of failing to register twice.
import type { FastifyInstance } from 'fastify';
import { Gauge, Histogram, type Registry } from 'prom-client';

export interface HttpMetrics {
  readonly requestDurationSeconds: Histogram<'method' | 'route' | 'status_code'>;
  readonly watchStreams: Gauge;
}

/** Buckets from 0.5 ms to 10 s: a local serializable read takes well under a millisecond. */
const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function httpMetrics(registry: Registry): HttpMetrics {
  const requestDurationSeconds =
    (registry.getSingleMetric('bvault_http_request_duration_seconds') as HttpMetrics['requestDurationSeconds'] | undefined) ??
    new Histogram({
      name: 'bvault_http_request_duration_seconds',
      help: 'Latency of REST API requests by route, method and status code.',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    });
  const watchStreams =
    (registry.getSingleMetric('bvault_http_watch_streams') as Gauge | undefined) ??
    new Gauge({ name: 'bvault_http_watch_streams', help: 'Open Server-Sent Events watch streams.', registers: [registry] });
  return { requestDurationSeconds, watchStreams };
}

/** Observes every answered request; the route label is the route pattern, so its cardinality is bounded. */
export function recordRequestDurations(app: FastifyInstance, metrics: HttpMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.requestDurationSeconds.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode },
      reply.elapsedTime / 1000,
    );
  });
}
