// Probes and metrics: /healthz says the process answers, /readyz says the node can serve
// (a leader is known and it has applied what it knew was committed), /metrics is the
// Prometheus text of the node's registry and /api/v1/admin/metrics the same series as JSON
// (the seeds' performance metrics endpoint).
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { ApiError, toClientError } from '../errors.js';
import { sendClientError } from './error-replies.js';
import type { Readiness } from '../../node/kv-node.js';

/**
 * `node` is the node itself, not a caller's view: a probe answers whoever asks (a kubelet sends
 * no credentials) and reveals only whether the node can serve.
 */
export function registerHealthRoutes(app: FastifyInstance, node: { readiness(): Readiness }, registry: Registry): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const readiness = node.readiness();
    if (!readiness.ready) return sendClientError(reply, toClientError(new ApiError('API_NOT_READY', { reason: readiness.reason })));
    return { status: 'ready' };
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
  app.get('/api/v1/admin/metrics', async () => ({ metrics: await registry.getMetricsAsJSON() }));
}
