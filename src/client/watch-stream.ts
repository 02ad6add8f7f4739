// A watch as an async iterator that survives broken streams: on an error it moves to the
// next endpoint, waits with backoff and resumes from the last delivered revision + 1 (see
// WatchCursor), so the caller sees every event once, in revision order. It ends only when
// the caller stops iterating, or with an error that a retry cannot fix (a compacted start
// revision, a bad request, or too many failures in a row).
import type { ClientReadableStream } from '@grpc/grpc-js';
import type { WatchResponse } from '../generated/beavervault/v1/kv.js';
import { backoffDelayMs } from './backoff.js';
import { sleep, type CallRunner } from './call-runner.js';
import type { ResolvedOptions } from './client-options.js';
import type { EndpointPool } from './endpoint-pool.js';
import type { GrpcChannels } from './grpc-channels.js';
import { type Bytes, bytesOf, type WatchEvent, watchEventOf } from './results.js';
import { WatchCursor } from './watch-cursor.js';

export interface WatchOptions {
  /** Watch every key that starts with the key given. */
  readonly prefix?: boolean;
  /** The first revision to deliver; older history is replayed. Unset or 0: changes after now. */
  readonly fromRevision?: number;
  readonly prevKv?: boolean;
  readonly noPut?: boolean;
  readonly noDelete?: boolean;
  /** Stops the watch; the iterator then ends. */
  readonly signal?: AbortSignal;
}

export interface WatchContext {
  readonly options: ResolvedOptions;
  readonly runner: CallRunner;
  readonly pool: EndpointPool;
  readonly channels: GrpcChannels;
  /** The store revision now, linearizably: a watch "from now" starts after it. */
  currentRevision(): Promise<number>;
}

export async function* watchEvents(context: WatchContext, key: Bytes, options: WatchOptions = {}): AsyncGenerator<WatchEvent, void, undefined> {
  const fromRevision = options.fromRevision !== undefined && options.fromRevision > 0 ? options.fromRevision : (await context.currentRevision()) + 1;
  const cursor = new WatchCursor(fromRevision);
  let failuresInRow = 0;
  const aborted = (): boolean => options.signal?.aborted === true;
  while (!aborted()) {
    const endpoint = context.pool.pick('read');
    let stream: ClientReadableStream<WatchResponse> | undefined;
    const abort = (): void => stream?.cancel();
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      const client = await context.channels.ready(endpoint, context.options.dialTimeoutMs);
      stream = client.watch({ key: bytesOf(key), prefix: options.prefix ?? false, startRevision: BigInt(cursor.resumeRevision()), prevKv: options.prevKv ?? false, noPut: options.noPut ?? false, noDelete: options.noDelete ?? false, progressNotify: false });
      for await (const response of stream as AsyncIterable<WatchResponse>) {
        context.runner.noteAnswer(endpoint, response.header);
        failuresInRow = 0;
        for (const event of cursor.admit(response.events.map(watchEventOf))) yield event;
      }
      // The server ended the watch (it is shutting down, say): resume elsewhere, not in a spin.
      failuresInRow += 1;
      await sleep(backoffDelayMs(failuresInRow, context.options.retry));
    } catch (thrown) {
      if (aborted()) return;
      const error = context.runner.errorOf(thrown, endpoint, true);
      failuresInRow += 1;
      context.pool.reportFailure(endpoint);
      if (!error.retryable || failuresInRow >= context.options.retry.attemptsMax) throw error;
      await sleep(backoffDelayMs(failuresInRow, context.options.retry));
    } finally {
      options.signal?.removeEventListener('abort', abort);
      stream?.cancel();
    }
  }
}
