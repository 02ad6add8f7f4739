// Delivers committed events to watchers (etcd's watchableStore). Synced watchers receive each
// batch's events as apply publishes them; unsynced ones (new watches from an old revision,
// and watchers whose queue was full) are fed from stored history by one background loop.
// A watcher moves to synced only when its position is past the hub's revision, checked
// synchronously, so no event is lost or repeated at the seam; events before a watcher's
// position are skipped, which absorbs the race between a history read and a publish.
import { MvccError } from './errors.js';
import type { HistoryPosition } from './key-codec.js';
import type { PositionedEvent } from './types.js';
import { Watcher, type WatcherOwner, type WatchRequest } from './watcher.js';

/** A page of stored history, read at one consistent point in time. */
export interface HistoryPage {
  readonly events: PositionedEvent[];
  /** Where the next read starts. */
  readonly next: HistoryPosition;
  /** True when the page reached the end of history at `revision`. */
  readonly complete: boolean;
  readonly revision: number;
  readonly compactRevision: number;
}

export interface HistorySource {
  /** Reads up to `scanMax` events from `from`, loading key-values only for keys `wants` accepts. */
  readHistory(from: HistoryPosition, scanMax: number, wants: (key: Uint8Array) => boolean, prevKv: boolean): Promise<HistoryPage>;
}

export interface WatchHubOptions {
  /** Per-watcher queue bound. */
  readonly bufferEventsMax: number;
  /** History events read per catch-up step; a watcher is refilled only with this much room. */
  readonly catchUpPageEvents: number;
}

export const DEFAULT_WATCH_OPTIONS: WatchHubOptions = Object.freeze({ bufferEventsMax: 4096, catchUpPageEvents: 512 });

const precedes = (a: HistoryPosition, b: HistoryPosition): boolean => a.revision < b.revision || (a.revision === b.revision && a.sub < b.sub);

export class WatchHub implements WatcherOwner {
  private readonly synced = new Set<Watcher>();
  private readonly unsynced = new Set<Watcher>();
  private nextWatchId = 1;
  private revision: number;
  private catchingUp = false;

  constructor(
    private readonly source: HistorySource,
    initialRevision: number,
    private readonly options: WatchHubOptions = DEFAULT_WATCH_OPTIONS,
  ) {
    if (options.catchUpPageEvents > options.bufferEventsMax) throw new RangeError('catchUpPageEvents must not exceed bufferEventsMax');
    this.revision = initialRevision;
  }

  get watcherCount(): number {
    return this.synced.size + this.unsynced.size;
  }

  currentRevision(): number {
    return this.revision;
  }

  watch(request: WatchRequest): Watcher {
    const start = request.startRevision ?? 0;
    const position = { revision: start > 0 ? start : this.revision + 1, sub: 0 };
    const watcher = new Watcher(this.nextWatchId++, request, position, this, this.options.bufferEventsMax);
    if (position.revision > this.revision) this.markSynced(watcher);
    else this.markUnsynced(watcher);
    return watcher;
  }

  /** Called by apply after a batch commits, with the batch's events in order. */
  publish(events: ReadonlyArray<PositionedEvent>, revision: number): void {
    this.revision = revision;
    for (const watcher of this.synced) {
      const unseen = events.filter((positioned) => !precedes({ revision: positioned.event.kv.modRevision, sub: positioned.sub }, watcher.next));
      const selected = watcher.select(unseen);
      if (selected.length > watcher.room) {
        // The queue is full: stop feeding it live and let history refill it later.
        this.markUnsynced(watcher);
        continue;
      }
      if (selected.length > 0) watcher.enqueue(revision, selected);
      if (watcher.next.revision <= revision) watcher.next = { revision: revision + 1, sub: 0 };
    }
  }

  /** Sends a progress notification to synced watchers that asked for them. */
  notifyProgress(): void {
    for (const watcher of this.synced) if (watcher.request.progressNotify === true) watcher.enqueueProgress(this.revision);
  }

  /** After a restore: every watcher re-reads from history, which may now be compacted. */
  reset(revision: number): void {
    this.revision = revision;
    for (const watcher of [...this.synced]) this.markUnsynced(watcher);
  }

  close(): void {
    for (const watcher of [...this.synced, ...this.unsynced]) watcher.cancel();
  }

  drained(watcher: Watcher): void {
    if (this.unsynced.has(watcher) && watcher.room >= this.options.catchUpPageEvents) void this.catchUp();
  }

  remove(watcher: Watcher): void {
    this.synced.delete(watcher);
    this.unsynced.delete(watcher);
  }

  private markSynced(watcher: Watcher): void {
    this.unsynced.delete(watcher);
    this.synced.add(watcher);
    watcher.synced = true;
  }

  private markUnsynced(watcher: Watcher): void {
    this.synced.delete(watcher);
    this.unsynced.add(watcher);
    watcher.synced = false;
    void this.catchUp();
  }

  /** One loop at a time refills unsynced watchers until none can make progress. */
  private async catchUp(): Promise<void> {
    if (this.catchingUp) return;
    this.catchingUp = true;
    try {
      let progressed = true;
      while (progressed) {
        progressed = false;
        for (const watcher of [...this.unsynced]) {
          if (watcher.isClosed || watcher.room < this.options.catchUpPageEvents) continue;
          try {
            await this.catchUpStep(watcher);
            progressed = true;
          } catch (error) {
            // A failed history read (for example, the store closing) ends this watch, not the process.
            watcher.fail(`watch catch-up failed: ${(error as Error).message}`);
          }
        }
      }
    } finally {
      this.catchingUp = false;
    }
  }

  private async catchUpStep(watcher: Watcher): Promise<void> {
    const wantsPrevKv = watcher.request.prevKv === true;
    const page = await this.source.readHistory(watcher.next, this.options.catchUpPageEvents, (key) => watcher.wantsKey(key), wantsPrevKv);
    if (watcher.isClosed || !this.unsynced.has(watcher)) return;
    if (watcher.next.revision < page.compactRevision) {
      watcher.fail(new MvccError('MVCC_COMPACTED').message, page.compactRevision);
      return;
    }
    const selected = watcher.select(page.events);
    if (selected.length > 0) watcher.enqueue(page.revision, selected);
    watcher.next = page.next;
    if (page.complete && watcher.next.revision > this.revision) this.markSynced(watcher);
  }
}
