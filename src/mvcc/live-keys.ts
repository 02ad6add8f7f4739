// How many keys are live, for the keys metric (etcd's keys_total). Counting the current records
// of a large store takes a while, so a count runs in the background against a snapshot taken
// between two commits, and the keys the commits after it create or delete are added to its
// result; from then on each commit's events keep the number current.
import type { Keyspace } from './key-codec.js';
import { type Database, withSnapshot } from './storage.js';
import type { PositionedEvent } from './types.js';

/** From the smallest key to the end of the current records. */
const FIRST_KEY = new Uint8Array(0);

export class LiveKeys {
  private count: number | undefined;
  /** Keys created minus keys deleted by the commits since the running count's snapshot. */
  private sinceSnapshot = 0;
  /** Tells a count that a newer one replaced it. */
  private generation = 0;

  /** The number of live keys; undefined while the first count runs. */
  get value(): number | undefined {
    return this.count;
  }

  /** Counts again from the state as committed now: at open, and after the state was replaced. */
  recount(db: Database, keyspace: Keyspace): void {
    const generation = ++this.generation;
    this.count = undefined;
    this.sinceSnapshot = 0;
    // withSnapshot takes its snapshot before it returns, so no commit falls between the two.
    const counted = withSnapshot(db, async (reader) => {
      let total = 0;
      for await (const page of reader.pages(keyspace.currentBounds(FIRST_KEY, undefined), false)) total += page.length;
      return total;
    });
    counted.then(
      (total) => {
        if (generation === this.generation) this.count = total + this.sinceSnapshot;
      },
      // Only a store closed mid-count fails it, and a closed store reports nothing.
      () => undefined,
    );
  }

  /** Takes in one commit's events: a put without a previous value creates a key, a delete removes one. */
  committed(events: readonly PositionedEvent[]): void {
    let change = 0;
    for (const { event } of events) {
      if (event.type === 'delete') change--;
      else if (event.prevKv === undefined) change++;
    }
    if (this.count === undefined) this.sinceSnapshot += change;
    else this.count += change;
  }
}
