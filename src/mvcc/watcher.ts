// One watch: a bounded queue of responses that its consumer reads as an async iterator:
//
//   const watcher = store.watch({ key, rangeEnd, startRevision, prevKv: true });
//   for await (const response of watcher) { ... }   // ends after cancel() or a canceled response
//
// The queue holds at most `bufferEventsMax` events. When the hub cannot enqueue a batch, the
// watcher falls back to "unsynced" and is refilled from stored history as the consumer reads,
// so a slow consumer costs neither memory nor apply time.
import type { HistoryPosition } from './key-codec.js';
import { keyRange, type KeyRange, rangeContains } from './range.js';
import type { PositionedEvent, ResponseHeader, WatchEvent } from './types.js';

export interface WatchRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  /** 0 or absent: from the next revision. Older revisions are replayed from history. */
  readonly startRevision?: number;
  readonly prevKv?: boolean;
  readonly noPut?: boolean;
  readonly noDelete?: boolean;
  /** Receive empty responses carrying the current revision when the hub sends progress. */
  readonly progressNotify?: boolean;
}

export interface WatchResponse {
  readonly header: ResponseHeader;
  readonly watchId: number;
  /** Empty in a progress notification. */
  readonly events: WatchEvent[];
  readonly canceled?: boolean;
  readonly cancelReason?: string;
  /** Set when the watch was canceled because its start revision was compacted. */
  readonly compactRevision?: number;
}

/** What a watcher needs from its hub. */
export interface WatcherOwner {
  drained(watcher: Watcher): void;
  remove(watcher: Watcher): void;
  currentRevision(): number;
}

export class Watcher implements AsyncIterable<WatchResponse> {
  readonly range: KeyRange;
  /** Invariant: every event before `next` has been enqueued or filtered out. */
  next: HistoryPosition;
  synced = false;
  /** How many responses this watcher has produced, read or not: its consumer can tell when it has passed on all of them. */
  responsesEnqueued = 0;
  private readonly queue: WatchResponse[] = [];
  private queuedEvents = 0;
  private waiting: ((result: IteratorResult<WatchResponse>) => void) | undefined;
  private closed = false;

  constructor(
    readonly id: number,
    readonly request: WatchRequest,
    start: HistoryPosition,
    private readonly owner: WatcherOwner,
    private readonly bufferEventsMax: number,
  ) {
    this.range = keyRange(request.key, request.rangeEnd);
    this.next = start;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get room(): number {
    return this.bufferEventsMax - this.queuedEvents;
  }

  wantsKey(key: Uint8Array): boolean {
    return rangeContains(this.range, key);
  }

  /** The events this watcher delivers, shaped by its filters and prevKv choice. */
  select(events: ReadonlyArray<PositionedEvent>): WatchEvent[] {
    const selected: WatchEvent[] = [];
    for (const { event } of events) {
      if (event.type === 'put' ? this.request.noPut === true : this.request.noDelete === true) continue;
      if (!this.wantsKey(event.kv.key)) continue;
      selected.push(this.request.prevKv === true || event.prevKv === undefined ? event : { type: event.type, kv: event.kv });
    }
    return selected;
  }

  enqueue(revision: number, events: WatchEvent[]): void {
    if (this.closed) return;
    this.queuedEvents += events.length;
    this.deliver({ header: { revision: revision as ResponseHeader['revision'] }, watchId: this.id, events });
  }

  /** A progress notification, unless one is already waiting to be read. */
  enqueueProgress(revision: number): void {
    const last = this.queue[this.queue.length - 1];
    if (this.closed || (last !== undefined && last.events.length === 0)) return;
    this.enqueue(revision, []);
  }

  requestProgress(): void {
    if (this.synced) this.enqueueProgress(this.owner.currentRevision());
  }

  /** Ends the watch with a final canceled response. */
  fail(reason: string, compactRevision?: number): void {
    if (this.closed) return;
    this.deliver({
      header: { revision: this.owner.currentRevision() as ResponseHeader['revision'] },
      watchId: this.id,
      events: [],
      canceled: true,
      cancelReason: reason,
      ...(compactRevision === undefined ? {} : { compactRevision }),
    });
    this.close();
  }

  cancel(): void {
    this.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchResponse> {
    return {
      next: () => this.pull(),
      return: async () => {
        this.cancel();
        return { done: true, value: undefined };
      },
    };
  }

  private async pull(): Promise<IteratorResult<WatchResponse>> {
    const response = this.queue.shift();
    if (response !== undefined) {
      this.queuedEvents -= response.events.length;
      if (!this.synced && !this.closed) this.owner.drained(this);
      return { done: false, value: response };
    }
    if (this.closed) return { done: true, value: undefined };
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  private deliver(response: WatchResponse): void {
    this.responsesEnqueued += 1;
    const waiting = this.waiting;
    if (waiting !== undefined) {
      this.waiting = undefined;
      this.queuedEvents -= response.events.length;
      waiting({ done: false, value: response });
      return;
    }
    this.queue.push(response);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.owner.remove(this);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ done: true, value: undefined });
  }
}
