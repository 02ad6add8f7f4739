// Traces over OpenTelemetry, off unless an operator asks for them with the standard OTEL_*
// variables: an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
// or an exporter (OTEL_TRACES_EXPORTER), and OTEL_SDK_DISABLED not true. Only then is the SDK
// imported; it reads every other variable itself (the protocol, http/protobuf by default, the
// sampler, the service name, the batch span processor's limits). Metrics stay on /metrics and
// logs on stderr: the SDK exports spans only.
//
//   const tracing = await startTracing(process.env, memberName, logger);   // undefined when off
//   ...
//   await tracing?.shutdown();   // exports the spans still batched
//
// While tracing is off `activeTracer()` is undefined, and every span helper (spans.ts) checks
// that first and does nothing else.
import { trace, type Tracer } from '@opentelemetry/api';
// Types only: the modules themselves are imported when tracing starts.
import type * as Resources from '@opentelemetry/resources';
import type * as SdkNode from '@opentelemetry/sdk-node';
import type { Logger } from './logger.js';
import { NODE_VERSION } from '../node/version.js';

export interface Tracing {
  /** Stops tracing and exports the spans still batched, waiting for the exporter at most FLUSH_TIMEOUT_MS. */
  shutdown(): Promise<void>;
}

/** An unreachable collector must not hold up a member's stop for long. */
const FLUSH_TIMEOUT_MS = 5_000;

type SdkModule = typeof SdkNode;
type ResourcesModule = typeof Resources;

/** Loads the SDK; a parameter so that a test can see it is not loaded when tracing is off. */
export type SdkLoader = () => Promise<readonly [SdkModule, ResourcesModule]>;

const loadSdk: SdkLoader = () => Promise.all([import('@opentelemetry/sdk-node'), import('@opentelemetry/resources')]);

let tracer: Tracer | undefined;

/** The tracer while tracing is on, undefined while it is off. */
export function activeTracer(): Tracer | undefined {
  return tracer;
}

/** Whether the variables ask for traces: an OTLP endpoint or an exporter, and the SDK not disabled. */
export function tracingRequested(environment: NodeJS.ProcessEnv): boolean {
  if (environment.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporter = environment.OTEL_TRACES_EXPORTER?.trim() ?? '';
  if (exporter === 'none') return false;
  return exporter !== '' || nonEmpty(environment.OTEL_EXPORTER_OTLP_ENDPOINT) || nonEmpty(environment.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the SDK when the variables ask for traces; the SDK reads them from process.env. The
 * service is `beaver-vault` unless OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) names it,
 * and every span's resource names the member (`bvault.member`).
 */
export async function startTracing(environment: NodeJS.ProcessEnv, memberName: string, logger: Logger, load: SdkLoader = loadSdk): Promise<Tracing | undefined> {
  if (!tracingRequested(environment)) return undefined;
  const [{ NodeSDK }, { defaultResource, resourceFromAttributes }] = await load();
  const resource = defaultResource().merge(resourceFromAttributes({ 'service.name': 'beaver-vault', 'service.version': NODE_VERSION, 'bvault.member': memberName }));
  const sdk = new NodeSDK({ resource, metricReaders: [], logRecordProcessors: [] });
  sdk.start();
  tracer = trace.getTracer('beaver-vault', NODE_VERSION);
  const endpoint = environment.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? environment.OTEL_EXPORTER_OTLP_ENDPOINT;
  logger.info({ endpoint, protocol: environment.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? environment.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf' }, 'tracing on: exporting spans over OTLP');
  return {
    shutdown: async () => {
      tracer = undefined;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          logger.warn({ timeoutMs: FLUSH_TIMEOUT_MS }, 'the last spans were not exported in time; stopping without them');
          resolve();
        }, FLUSH_TIMEOUT_MS);
      });
      await Promise.race([sdk.shutdown(), timedOut]);
      clearTimeout(timer);
    },
  };
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== '';
}
