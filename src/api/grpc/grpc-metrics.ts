// The gRPC APIs' request latency by method and status code. Created once per registry, so
// servers sharing a registry share the series instead of failing to register twice.
import { Histogram, type Registry } from 'prom-client';

export type GrpcRequestDuration = Histogram<'method' | 'code'>;

/** From 0.5 ms to 10 s, as the REST API buckets them; a stream is observed when it ends. */
const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function grpcRequestDuration(registry: Registry): GrpcRequestDuration {
  return (
    (registry.getSingleMetric('bvault_grpc_request_duration_seconds') as GrpcRequestDuration | undefined) ??
    new Histogram({
      name: 'bvault_grpc_request_duration_seconds',
      help: 'Latency of gRPC calls by full method name and gRPC status code; streams are observed when they end.',
      labelNames: ['method', 'code'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    })
  );
}
