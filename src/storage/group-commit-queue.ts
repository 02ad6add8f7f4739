// Group commit: records submitted while a flush is running wait in a batch, and the next
// flush writes the whole batch with one write and one fsync. Every submitter's promise
// resolves only once its record is durable, so `await Promise.all([append, setHardState])`
// costs one fsync, and N concurrent appenders cost far fewer than N.
//
// All I/O of the log runs one operation at a time through `exclusive`, so a flush never
// interleaves with a segment roll or deletion.

import { DurableStorageError, DurableStorageErrorCode } from './errors.js';

interface Waiter<Item> {
  readonly item: Item;
  /** Must settle before the batch holding `item` is written (a snapshot file before its marker). */
  readonly barrier: Promise<unknown> | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommitQueue<Item> {
  private batch: Waiter<Item>[] = [];
  // Invariant: true exactly while a flush is queued that has not yet taken `batch`.
  private flushQueued = false;
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown = null;

  constructor(
    /** Writes the items durably, in order; one call per batch. */
    private readonly writeBatch: (items: readonly Item[]) => Promise<void>,
  ) {}

  /** Resolves once `item` (and every item submitted before it) is durable. */
  submit(item: Item, barrier?: Promise<unknown>): Promise<void> {
    if (this.failure !== null) return Promise.reject(failedBecause(this.failure));
    return new Promise<void>((resolve, reject) => {
      this.batch.push({ item, barrier, resolve, reject });
      if (this.flushQueued) return;
      this.flushQueued = true;
      // Queued, not run: every submit of the current synchronous run joins this batch.
      this.chain(() => this.flush()).catch(() => {
        // Each waiter of the batch was rejected with the error, and `failure` records it.
      });
    });
  }

  /** Runs `operation` after every queued operation; a failure stops all later writes. */
  exclusive<T>(operation: () => Promise<T>): Promise<T> {
    return this.chain(() => {
      if (this.failure !== null) throw failedBecause(this.failure);
      return operation();
    });
  }

  private chain<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.tail.then(operation);
    this.tail = result.then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= error;
      },
    );
    return result;
  }

  /** Resolves once everything submitted so far is written; rejects if any write failed. */
  async drain(): Promise<void> {
    await this.tail;
    if (this.failure !== null) throw failedBecause(this.failure);
  }

  private async flush(): Promise<void> {
    this.flushQueued = false;
    const waiters = this.batch;
    this.batch = [];
    try {
      if (this.failure !== null) throw failedBecause(this.failure);
      await Promise.all(waiters.map((waiter) => waiter.barrier));
      await this.writeBatch(waiters.map((waiter) => waiter.item));
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
      throw error;
    }
    for (const waiter of waiters) waiter.resolve();
  }
}

function failedBecause(cause: unknown): DurableStorageError {
  if (cause instanceof DurableStorageError && cause.code === DurableStorageErrorCode.Failed) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new DurableStorageError(
    DurableStorageErrorCode.Failed,
    `an earlier write to the Raft log failed (${reason}); the store takes no more writes. Restart the node.`,
    { cause },
  );
}
