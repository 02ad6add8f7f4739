// The few span operations the APIs and the node share, each a no-op costing one check while
// tracing is off (tracing.ts). A request's server span continues the client's trace from its
// W3C traceparent (gRPC metadata or HTTP headers) and is made the active span while the request
// is served, so the node finds it without every handler passing it on; the node's own spans
// (src/node/proposal-trace.ts) hang beneath it. A span context crosses to another member as 25
// bytes: the trace id, the span id and the trace flags.
import { type Attributes, type Context, context, propagation, ROOT_CONTEXT, type Span, type SpanContext, SpanKind, SpanStatusCode, type TextMapGetter, trace } from '@opentelemetry/api';
import { activeTracer } from './tracing.js';

export type { Span, SpanContext };

/** A request's span and the context in which it is served; undefined while tracing is off. */
export interface ServerSpan {
  readonly span: Span;
  readonly context: Context;
}

const TRACE_ID_BYTES = 16;
const SPAN_ID_BYTES = 8;
export const TRACE_CONTEXT_BYTES = TRACE_ID_BYTES + SPAN_ID_BYTES + 1;

export function tracingOn(): boolean {
  return activeTracer() !== undefined;
}

/** Starts a request's server span, a child of the client's span when `carrier` holds a traceparent. */
export function startServerSpan<Carrier>(name: string, attributes: Attributes, carrier: Carrier, getter: TextMapGetter<Carrier>): ServerSpan | undefined {
  const tracer = activeTracer();
  if (tracer === undefined) return undefined;
  const parent = propagation.extract(ROOT_CONTEXT, carrier, getter);
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Runs `serve` with the request's span active, so that work it starts finds it (`requestSpan`). */
export function serveInSpan<T>(server: ServerSpan, serve: () => T): T {
  return context.with(server.context, serve);
}

/** The span of the request being served, when tracing is on and the request is sampled. */
export function requestSpan(): Span | undefined {
  if (activeTracer() === undefined) return undefined;
  const span = trace.getActiveSpan();
  return span?.isRecording() === true ? span : undefined;
}

/** A span beneath `parent`, a local span or one another member sent; undefined while tracing is off. */
export function startChildSpan(parent: Span | SpanContext, name: string, attributes?: Attributes, startTime?: number): Span | undefined {
  const tracer = activeTracer();
  if (tracer === undefined) return undefined;
  const parentContext = 'spanContext' in parent ? parent.spanContext() : parent;
  return tracer.startSpan(name, { attributes, startTime }, trace.setSpanContext(ROOT_CONTEXT, parentContext));
}

/** Ends the span, marked failed with `error`'s message when there is one. */
export function endSpan(span: Span | undefined, error?: unknown): void {
  if (span === undefined) return;
  if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
}

/** The span's context as another member receives it. */
export function encodeSpanContext(span: Span): Uint8Array {
  const { traceId, spanId, traceFlags } = span.spanContext();
  const bytes = new Uint8Array(TRACE_CONTEXT_BYTES);
  bytes.set(Buffer.from(traceId, 'hex'), 0);
  bytes.set(Buffer.from(spanId, 'hex'), TRACE_ID_BYTES);
  bytes[TRACE_ID_BYTES + SPAN_ID_BYTES] = traceFlags;
  return bytes;
}

/** The span context another member sent (encodeSpanContext). */
export function decodeSpanContext(bytes: Uint8Array): SpanContext {
  if (bytes.byteLength !== TRACE_CONTEXT_BYTES) throw new RangeError(`a trace context is ${TRACE_CONTEXT_BYTES} bytes, not ${bytes.byteLength}`);
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  return {
    traceId: hex.slice(0, 2 * TRACE_ID_BYTES),
    spanId: hex.slice(2 * TRACE_ID_BYTES, 2 * (TRACE_ID_BYTES + SPAN_ID_BYTES)),
    traceFlags: bytes[TRACE_ID_BYTES + SPAN_ID_BYTES]!,
    isRemote: true,
  };
}
