// Watch events as the checks compare them, and the full event log of the workload's keys
// read after the run from revision 1: the ground truth the watchers and the acknowledged
// writes are held against. Auto-compaction is off on the servers (their default), so the
// whole history is still there.
import { connect, type WatchEvent } from '../../../src/client/index.js';
import { KEY_PREFIX } from '../workload/recorded-operation.js';

export interface KeyVersion {
  readonly value: string;
  readonly modRevision: number;
}

export interface LoggedEvent {
  readonly revision: number;
  readonly type: 'put' | 'delete';
  readonly key: string;
  /** The new value of a put; null for a delete. */
  readonly value: string | null;
  /** The key before the event, as the server sent it in prev_kv; null when it did not exist. */
  readonly previous: KeyVersion | null;
}

export function loggedEventOf(event: WatchEvent): LoggedEvent {
  return {
    revision: event.revision,
    type: event.type,
    key: event.kv.key.toString('utf8'),
    value: event.type === 'put' ? event.kv.value.toString('utf8') : null,
    previous: event.prevKv === undefined ? null : { value: event.prevKv.value.toString('utf8'), modRevision: event.prevKv.modRevision },
  };
}

export function describeEvent(event: LoggedEvent): string {
  const previous = event.previous === null ? 'none' : `${event.previous.value}@${event.previous.modRevision}`;
  return `${event.type} ${event.key}${event.value === null ? '' : `=${event.value}`} at ${event.revision} (prev ${previous})`;
}

/** Every event of the workload's keys from revision 1 up to `finalRevision`, with prev_kv. */
export async function readEventLog(endpoints: readonly string[], finalRevision: number, timeoutMs: number): Promise<LoggedEvent[]> {
  const events: LoggedEvent[] = [];
  if (finalRevision < 2) return events;
  const client = connect({ endpoints, dialTimeoutMs: 1_000 });
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  try {
    for await (const event of client.watch(KEY_PREFIX, { prefix: true, prevKv: true, fromRevision: 1, signal: stop.signal })) {
      events.push(loggedEventOf(event));
      // The rest of this revision came in the same message: aborting ends the stream, and
      // the iterator still hands out the events it holds.
      if (event.revision >= finalRevision) stop.abort();
    }
  } finally {
    clearTimeout(timer);
    client.close();
  }
  if ((events.at(-1)?.revision ?? 0) < finalRevision) {
    throw new Error(`the event log from revision 1 reached only revision ${events.at(-1)?.revision ?? 0} of ${finalRevision} within ${timeoutMs} ms`);
  }
  return events;
}

/**
 * The state after each event, from an empty store: the value every key had before each event
 * (what its prev_kv must say), and the final state.
 */
export function replayEventLog(events: readonly LoggedEvent[]): { readonly previousOf: readonly (KeyVersion | null)[]; readonly finalState: ReadonlyMap<string, KeyVersion> } {
  const state = new Map<string, KeyVersion>();
  const previousOf = events.map((event) => {
    const previous = state.get(event.key) ?? null;
    if (event.type === 'put' && event.value !== null) state.set(event.key, { value: event.value, modRevision: event.revision });
    else state.delete(event.key);
    return previous;
  });
  return { previousOf, finalState: state };
}
