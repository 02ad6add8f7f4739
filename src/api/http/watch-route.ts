// GET /api/v1/watch/{prefix} — changes under a prefix as Server-Sent Events. Each event's id
// is `<revision>.<n>`: the n-th event of that revision this stream delivers (a transaction
// may change several keys under one revision). A client that reconnects with Last-Event-ID
// resumes strictly after that event: the watch restarts at its revision and skips the first
// n+1 events of it, which are the same events because prefix and filters are the same.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type WatchEvent, type WatchRequest, type WatchResponse, validateRequest } from '../../mvcc/index.js';
import { ApiError } from '../errors.js';
import type { HttpMetrics } from './http-metrics.js';
import { prefixEnd, prefixStart } from '../shared/key-ranges.js';
import { keyValueJson } from './key-view.js';
import { decimalInteger, watchQuery } from './query-schemas.js';
import { parseParameter, parseQuery } from './request-parsing.js';
import type { RouteContext } from './route-context.js';

const EVENT_ID = /^(\d+)(?:\.(\d+))?$/;

/** Where a stream starts: the first revision, and how many of its events were already delivered. */
interface StreamStart {
  readonly revision: number;
  readonly deliveredAtStart: number;
}

export function registerWatchRoute(app: FastifyInstance, context: RouteContext, metrics: HttpMetrics): void {
  app.get('/api/v1/watch/*', (request, reply) => watch(context, metrics, request, reply));
}

async function watch(context: RouteContext, metrics: HttpMetrics, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const query = parseQuery(request, watchQuery);
  const prefix = Buffer.from((request.params as { '*': string })['*'], 'utf8');
  const filter = query.filter;
  const start = streamStart(request.headers['last-event-id'], query.start_revision);
  const watchRequest: WatchRequest = {
    key: prefixStart(prefix),
    rangeEnd: prefixEnd(prefix),
    startRevision: start.revision,
    prevKv: query.prev_kv ?? false,
    noPut: filter === 'noput',
    noDelete: filter === 'nodelete',
    progressNotify: true,
  };
  validateRequest({ type: 'range', range: { key: watchRequest.key } }, context.limits);
  const watcher = request.callerNode.watch(watchRequest);
  reply.hijack();
  const stream = reply.raw;
  stream.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  stream.write(': watching\n\n');
  metrics.watchStreams.inc();
  const keepAlive = setInterval(() => stream.write(': keep-alive\n\n'), context.limits.watchKeepAliveMs);
  request.raw.once('close', () => watcher.cancel());
  try {
    await pump(watcher, stream, start);
  } catch (error) {
    context.logger.warn({ err: error }, 'watch stream failed');
  } finally {
    clearInterval(keepAlive);
    watcher.cancel();
    metrics.watchStreams.dec();
    stream.end();
  }
}

function streamStart(lastEventId: string | string[] | undefined, startRevision: number | undefined): StreamStart {
  if (typeof lastEventId !== 'string' || lastEventId === '') return { revision: startRevision ?? 0, deliveredAtStart: 0 };
  const match = EVENT_ID.exec(lastEventId.trim());
  if (match === null) throw new ApiError('API_INVALID_PARAMETER', { name: 'Last-Event-ID', reason: `expected <revision>.<n>, got ${lastEventId}` });
  const revision = parseParameter('Last-Event-ID', match[1], decimalInteger(1));
  // A bare revision means every event of that revision was seen.
  if (match[2] === undefined) return { revision: revision + 1, deliveredAtStart: 0 };
  return { revision, deliveredAtStart: parseParameter('Last-Event-ID', match[2], decimalInteger(0)) + 1 };
}

/** Copies watch responses to the stream, waiting for the socket to drain so a slow client only slows itself. */
async function pump(watcher: AsyncIterable<WatchResponse>, stream: ServerResponse, start: StreamStart): Promise<void> {
  let revision = start.revision;
  let deliveredInRevision = 0;
  for await (const response of watcher) {
    if (response.canceled === true) {
      writeEvent(stream, undefined, 'error', cancellationJson(response));
      return;
    }
    if (response.events.length === 0) stream.write(`: progress ${response.header.revision}\n\n`);
    for (const event of response.events) {
      const eventRevision = event.kv.modRevision;
      if (eventRevision !== revision) {
        revision = eventRevision;
        deliveredInRevision = 0;
      }
      const index = deliveredInRevision++;
      if (eventRevision === start.revision && index < start.deliveredAtStart) continue;
      if (!writeEvent(stream, `${eventRevision}.${index}`, event.type, eventJson(event))) await drained(stream);
    }
  }
}

/** A compacted start revision keeps etcd's code and says where history now begins. */
function cancellationJson(response: WatchResponse): object {
  const reason = response.cancelReason ?? 'no reason given';
  if (response.compactRevision !== undefined) return { code: 'MVCC_COMPACTED', message: reason, compactRevision: response.compactRevision };
  return { code: 'API_WATCH_CANCELED', message: new ApiError('API_WATCH_CANCELED', { reason }).message };
}

function eventJson(event: WatchEvent): object {
  return { type: event.type, kv: keyValueJson(event.kv), ...(event.prevKv === undefined ? {} : { prevKv: keyValueJson(event.prevKv) }) };
}

function writeEvent(stream: ServerResponse, id: string | undefined, type: string, data: object): boolean {
  return stream.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
}

function drained(stream: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}
