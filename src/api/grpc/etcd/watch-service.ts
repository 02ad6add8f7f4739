// etcd's Watch service: one bidirectional stream carries many watches. Create requests start
// a watch (the client's watch_id or the next free one), cancel requests end one, and a
// progress request gets the current revision once every watch of the stream has caught up and
// written out everything it had.
// Responses follow etcd's order: a created response first, then events in revision order, or
// a canceled response carrying compact_revision when the start revision was compacted.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { WatchService } from '../../../generated/etcd/etcdserverpb/rpc.js';
import type * as pb from '../../../generated/etcd/etcdserverpb/rpc.js';
import type { KvNode } from '../../../node/kv-node.js';
import type { Watcher, WatchResponse } from '../../../mvcc/index.js';
import { toEtcdError } from '../../errors.js';
import type { ResponseHeaders } from '../response-headers.js';
import { type EtcdContext, etcdServiceError, onCallerNode, safeNumber } from './etcd-call.js';
import { eventMessage } from './kv-conversion.js';
import { fragmentEvents } from './watch-fragments.js';

/** etcd's clientv3.InvalidWatchID: the watch_id of stream-wide and refused responses. */
const STREAM_WATCH_ID = -1n;
/** etcd's mvcc.ErrWatcherDuplicateID text. */
const DUPLICATE_WATCH_ID = 'mvcc: duplicate watch ID provided on the WatchStream';
const FILTER_NOPUT = 0;
const FILTER_NODELETE = 1;
/** How long a progress request may wait for the stream's watches to catch up before it is dropped. */
const PROGRESS_WAIT_MS = 250;

export interface WatchServiceOptions {
  /** A fragmenting watch splits responses larger than this (etcd uses its max request size). */
  readonly fragmentBytesMax: number;
}

type WatchStream = ServerDuplexStream<pb.WatchRequest, pb.WatchResponse>;

export function watchService(context: EtcdContext, options: WatchServiceOptions): pb.WatchServer {
  return { watch: (stream) => onCallerNode(context, WatchService.watch.path, stream, (node) => new WatchSession(node, context.headers, options, stream).start()) };
}

class WatchSession {
  /** Invariant: holds exactly the watches of this stream that are not canceled. */
  private readonly watchers = new Map<bigint, Watcher>();
  private nextWatchId = 0n;
  private handling: Promise<void> = Promise.resolve();
  /** Responses of each watch written to the stream, against Watcher.responsesEnqueued. */
  private readonly written = new Map<Watcher, number>();
  /** Wakes a progress request that waits for the watches' responses to be written. */
  private wakeProgress: (() => void) | undefined;

  constructor(
    private readonly node: KvNode,
    private readonly headers: ResponseHeaders,
    private readonly options: WatchServiceOptions,
    private readonly stream: WatchStream,
  ) {}

  start(): void {
    // Requests are handled one after another, so their answers leave in the order they came.
    this.stream.on('data', (request: pb.WatchRequest) => {
      this.handling = this.handling.then(() => this.handle(request)).catch((error: unknown) => {
        this.stream.emit('error', etcdServiceError(error));
      });
    });
    const closeAll = (): void => this.cancelAll();
    this.stream.on('end', () => {
      closeAll();
      this.stream.end();
    });
    this.stream.on('error', closeAll);
    this.stream.on('close', closeAll);
  }

  private async handle(request: pb.WatchRequest): Promise<void> {
    if (request.createRequest !== undefined) return this.create(request.createRequest);
    if (request.cancelRequest !== undefined) return this.cancel(request.cancelRequest.watchId);
    if (request.progressRequest !== undefined) return this.progress();
  }

  private async create(request: pb.WatchCreateRequest): Promise<void> {
    const watchId = request.watchId !== 0n ? request.watchId : this.freeWatchId();
    if (this.watchers.has(watchId)) return this.refuse(DUPLICATE_WATCH_ID);
    let watcher: Watcher;
    try {
      watcher = this.node.watch({
        key: request.key,
        rangeEnd: request.rangeEnd,
        startRevision: safeNumber(request.startRevision, 'start_revision'),
        prevKv: request.prevKv,
        noPut: request.filters.includes(FILTER_NOPUT),
        noDelete: request.filters.includes(FILTER_NODELETE),
        progressNotify: request.progressNotify,
      });
    } catch (error) {
      return this.refuse(toEtcdError(error).message);
    }
    this.watchers.set(watchId, watcher);
    this.send({ ...this.emptyResponse(watchId), created: true });
    // A failure to deliver (the node stopped mid-watch) ends the stream with etcd's status.
    this.pump(watchId, watcher, request.fragment).catch((error: unknown) => {
      this.cancelAll();
      this.stream.emit('error', etcdServiceError(error));
    });
  }

  /** etcd answers a create it cannot serve with a created-and-canceled response, not a stream error. */
  private refuse(reason: string): void {
    this.send({ ...this.emptyResponse(STREAM_WATCH_ID), created: true, canceled: true, cancelReason: reason });
  }

  private freeWatchId(): bigint {
    while (this.watchers.has(this.nextWatchId)) this.nextWatchId += 1n;
    return this.nextWatchId++;
  }

  private async pump(watchId: bigint, watcher: Watcher, fragment: boolean): Promise<void> {
    for await (const response of watcher) {
      await this.deliver(watchId, response, fragment);
      this.written.set(watcher, (this.written.get(watcher) ?? 0) + 1);
      this.wakeProgress?.();
      if (response.canceled === true) break;
    }
    if (this.watchers.get(watchId) === watcher) this.watchers.delete(watchId);
    this.written.delete(watcher);
  }

  private async deliver(watchId: bigint, response: WatchResponse, fragment: boolean): Promise<void> {
    const header = this.headers.header(resumableRevision(response));
    const events = response.events.map(eventMessage);
    const base = { header, watchId, created: false, canceled: response.canceled === true, compactRevision: BigInt(response.compactRevision ?? 0), cancelReason: response.cancelReason ?? '' };
    const parts = fragment ? fragmentEvents(events, this.options.fragmentBytesMax) : [events];
    for (const [index, part] of parts.entries()) {
      const more = index < parts.length - 1;
      const written = this.send({ ...base, events: part, fragment: more });
      if (!written) await new Promise((resolve) => this.stream.once('drain', resolve));
    }
  }

  private async cancel(watchId: bigint): Promise<void> {
    const watcher = this.watchers.get(watchId);
    if (watcher === undefined) return;
    this.watchers.delete(watchId);
    watcher.cancel();
    this.send({ ...this.emptyResponse(watchId), canceled: true });
  }

  /**
   * A progress response promises that every event up to its revision is already on the stream
   * (kube-apiserver's watch cache serves consistent reads on that promise). So it waits until
   * every watch of the stream is synced and has written all it has produced, then names the
   * store's revision at that same instant: with no await in between, no event can be applied
   * unseen. As etcd does with a request it cannot answer, it is dropped when a watch is still
   * catching up (or does not finish in time); the client asks again.
   */
  private async progress(): Promise<void> {
    const deadline = Date.now() + PROGRESS_WAIT_MS;
    for (;;) {
      const watchers = [...this.watchers.values()];
      if (watchers.some((watcher) => !watcher.synced)) return;
      if (watchers.every((watcher) => (this.written.get(watcher) ?? 0) === watcher.responsesEnqueued)) break;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.wakeProgress = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeProgress = undefined;
    }
    this.send(this.emptyResponse(STREAM_WATCH_ID));
  }

  private emptyResponse(watchId: bigint): pb.WatchResponse {
    return { header: this.headers.header(), watchId, created: false, canceled: false, compactRevision: 0n, cancelReason: '', fragment: false, events: [] };
  }

  private send(response: pb.WatchResponse): boolean {
    if (this.stream.destroyed || this.stream.writableEnded) return true;
    return this.stream.write(response);
  }

  private cancelAll(): void {
    for (const watcher of this.watchers.values()) watcher.cancel();
    this.watchers.clear();
  }
}

/**
 * etcd names the store's revision in an events response, but a page of history replayed to a
 * watch that is catching up may end well before it, and a client that resumes from
 * header.revision + 1 (the etcd3 npm client does) would skip the rest of that history. So a
 * response with events names its last event's revision: resuming after it loses nothing.
 */
function resumableRevision(response: WatchResponse): number {
  const lastEvent = response.events[response.events.length - 1];
  return lastEvent === undefined ? response.header.revision : lastEvent.kv.modRevision;
}
