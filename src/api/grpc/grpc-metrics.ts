// Every gRPC call the client port serves, native and etcd alike, counted and timed under the
// names and labels of go-grpc-prometheus, which etcd exports: dashboards and alerts written for
// etcd (the etcd-mixin's gRPC error ratio among them) work unchanged.
//   grpc_server_started_total{grpc_type, grpc_service, grpc_method}
//   grpc_server_handled_total{grpc_type, grpc_service, grpc_method, grpc_code}
//   grpc_server_handling_seconds{grpc_type, grpc_service, grpc_method}   (a histogram)
// One server interceptor sees each call start and send its status. The label children of a
// method are looked up once and kept, so a call costs three metric updates and no label hashing.

import { status as GrpcStatus, ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { Counter, Histogram, type Registry } from 'prom-client';
import { parseMethodPath } from './method-path.js';

/** go-grpc-prometheus's default buckets, from 5 ms to 10 s. */
const HANDLING_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const CALL_LABELS = ['grpc_type', 'grpc_service', 'grpc_method'] as const;

type CallLabel = (typeof CALL_LABELS)[number];

interface GrpcServerMetrics {
  readonly started: Counter<CallLabel>;
  readonly handled: Counter<CallLabel | 'grpc_code'>;
  readonly handling: Histogram<CallLabel>;
}

/** The series of one method: its started and handling children, and its handled child per status code. */
interface MethodSeries {
  readonly labels: Record<CallLabel, string>;
  readonly started: ReturnType<Counter<CallLabel>['labels']>;
  readonly handling: ReturnType<Histogram<CallLabel>['labels']>;
  readonly handledByCode: Map<number, ReturnType<Counter<CallLabel | 'grpc_code'>['labels']>>;
}

/** Created once per registry, so servers sharing a registry share the series instead of failing to register twice. */
function metricsOf(registry: Registry): GrpcServerMetrics {
  const existing = registry.getSingleMetric('grpc_server_started_total');
  if (existing !== undefined) {
    return {
      started: existing as Counter<CallLabel>,
      handled: registry.getSingleMetric('grpc_server_handled_total') as Counter<CallLabel | 'grpc_code'>,
      handling: registry.getSingleMetric('grpc_server_handling_seconds') as Histogram<CallLabel>,
    };
  }
  const registers = [registry];
  return {
    started: new Counter({ name: 'grpc_server_started_total', help: 'RPCs started on the server.', labelNames: CALL_LABELS, registers }),
    handled: new Counter({ name: 'grpc_server_handled_total', help: 'RPCs completed on the server, whatever their status code.', labelNames: [...CALL_LABELS, 'grpc_code'] as const, registers }),
    handling: new Histogram({ name: 'grpc_server_handling_seconds', help: 'Time from the start of an RPC to its status; a stream is observed when it ends.', labelNames: CALL_LABELS, buckets: HANDLING_BUCKETS_SECONDS, registers }),
  };
}

/** Status codes as Go's codes.Code names them, which go-grpc-prometheus's grpc_code label and etcd's alerts use. */
const GO_CODE_NAMES: readonly string[] = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied',
  'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated',
];

/** go-grpc-prometheus's call types. */
function callType(requestStream: boolean, responseStream: boolean): string {
  if (requestStream) return responseStream ? 'bidi_stream' : 'client_stream';
  return responseStream ? 'server_stream' : 'unary';
}

/** Counts and times every call of the server it is given to (`new Server({ interceptors: [...] })`). */
export function grpcServerMetricsInterceptor(registry: Registry): ServerInterceptor {
  const metrics = metricsOf(registry);
  const byPath = new Map<string, MethodSeries>();
  const seriesOf = (path: string, requestStream: boolean, responseStream: boolean): MethodSeries => {
    let series = byPath.get(path);
    if (series === undefined) {
      const { service, method } = parseMethodPath(path);
      const labels = { grpc_type: callType(requestStream, responseStream), grpc_service: service, grpc_method: method };
      series = { labels, started: metrics.started.labels(labels), handling: metrics.handling.labels(labels), handledByCode: new Map() };
      byPath.set(path, series);
    }
    return series;
  };
  return (descriptor, call) => {
    const series = seriesOf(descriptor.path, descriptor.requestStream, descriptor.responseStream);
    series.started.inc();
    const startedAt = performance.now();
    return new ServerInterceptingCall(call, {
      sendStatus: (status, next) => {
        const code = status.code ?? GrpcStatus.UNKNOWN;
        let handled = series.handledByCode.get(code);
        if (handled === undefined) {
          handled = metrics.handled.labels({ ...series.labels, grpc_code: GO_CODE_NAMES[code] ?? `Code(${code})` });
          series.handledByCode.set(code, handled);
        }
        handled.inc();
        series.handling.observe((performance.now() - startedAt) / 1000);
        next(status);
      },
    });
  };
}
