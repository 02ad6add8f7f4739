// Watch: a server stream of event batches in revision order, from start_revision (history is
// replayed first) or from the next revision. A watch whose start was compacted ends with
// OUT_OF_RANGE (MVCC_COMPACTED) and the compact revision in the bvault-compact-revision trailer,
// so a client learns where the remaining history starts. A watch that ends because the
// node stopped ends with UNAVAILABLE (NODE_STOPPED), never with OK.
import { MvccError, type WatchEvent, type WatchRequest as MvccWatchRequest, type WatchResponse as MvccWatchResponse, validateRequest } from '../../../mvcc/index.js';
import type { WatchRequest, WatchResponse } from '../../../generated/beavervault/v1/kv.js';
import { EventType, type Event } from '../../../generated/beavervault/v1/types.js';
import type { KvNode } from '../../../node/kv-node.js';
import { NodeError } from '../../../node/errors.js';
import { ApiError } from '../../errors.js';
import { prefixEnd, prefixStart } from '../../shared/key-ranges.js';
import type { OutgoingStream } from '../call-handlers.js';
import type { GrpcContext } from '../grpc-context.js';
import { nonNegativeNumberOf } from '../wire-numbers.js';
import { keyValueMessage } from './key-messages.js';

/**
 * How often a watch that asked for progress gets an empty response with the current revision,
 * so a client that resumes after a quiet spell can start from there rather than from its last
 * event (a watcher still replaying history is skipped until it caught up).
 */
const WATCH_PROGRESS_INTERVAL_MS = 5_000;

export async function watchKeys(context: GrpcContext, node: KvNode, request: WatchRequest, stream: OutgoingStream<WatchResponse>): Promise<void> {
  const watchRequest: MvccWatchRequest = {
    key: request.prefix ? prefixStart(request.key) : request.key,
    ...(request.prefix ? { rangeEnd: prefixEnd(request.key) } : {}),
    startRevision: nonNegativeNumberOf(request.startRevision, 'start_revision'),
    prevKv: request.prevKv,
    noPut: request.noPut,
    noDelete: request.noDelete,
    progressNotify: request.progressNotify,
  };
  validateRequest({ type: 'range', range: { key: watchRequest.key } }, context.limits);
  const watcher = node.watch(watchRequest);
  const stop = (): void => watcher.cancel();
  stream.signal.addEventListener('abort', stop, { once: true });
  const progress = request.progressNotify ? setInterval(() => watcher.requestProgress(), WATCH_PROGRESS_INTERVAL_MS) : undefined;
  try {
    for await (const response of watcher) {
      if (response.canceled === true) throw canceledError(response.cancelReason ?? '', response.compactRevision);
      const sent = await stream.send({ header: context.headers.header(resumableRevision(response)), events: response.events.map(eventMessage) });
      if (!sent) return;
    }
    // The watch ended without the client going away: the node stopped. A plain end would read
    // as "no more events"; UNAVAILABLE tells the client to resume elsewhere.
    if (!stream.signal.aborted) throw new NodeError('NODE_STOPPED');
  } finally {
    clearInterval(progress);
    stream.signal.removeEventListener('abort', stop);
    watcher.cancel();
  }
}

/**
 * A page of history replayed to a watch that is catching up may end well before the store's
 * revision, so a response with events names its last event's revision: a client that resumes
 * from header.revision + 1 then loses nothing. (The etcd Watch service does the same.)
 */
function resumableRevision(response: MvccWatchResponse): number {
  const lastEvent = response.events[response.events.length - 1];
  return lastEvent === undefined ? response.header.revision : lastEvent.kv.modRevision;
}

function canceledError(reason: string, compactRevision: number | undefined): Error {
  if (compactRevision !== undefined) return Object.assign(new MvccError('MVCC_COMPACTED'), { compactRevision });
  return new ApiError('API_WATCH_CANCELED', { reason });
}

function eventMessage(event: WatchEvent): Event {
  return {
    type: event.type === 'put' ? EventType.EVENT_TYPE_PUT : EventType.EVENT_TYPE_DELETE,
    kv: keyValueMessage(event.kv),
    ...(event.prevKv === undefined ? {} : { prevKv: keyValueMessage(event.prevKv) }),
  };
}
