// A watcher of every workload key from a start revision, running through the faults. The
// client library resumes a broken stream by itself; when it gives up (too many failures in a
// row) the watcher starts a new watch from the revision after the last one it received, as
// an application would.
import { connect } from '../../../src/client/index.js';
import { sleep } from '../../cluster/cluster-harness.js';
import { KEY_PREFIX } from '../workload/recorded-operation.js';
import { type LoggedEvent, loggedEventOf } from './event-log.js';

/** Pause before a new watch after the client gave one up. */
const RESTART_DELAY_MS = 200;

export class WatchRecorder {
  readonly events: LoggedEvent[] = [];
  /** The errors that ended a watch and made the watcher start another. */
  readonly restarts: string[] = [];
  private readonly stop = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    readonly watcherId: number,
    readonly startRevision: number,
    private readonly endpoints: () => readonly string[],
  ) {}

  start(): void {
    this.running ??= this.run();
  }

  /** The last revision received, or the one before the start. */
  lastRevision(): number {
    return this.events.at(-1)?.revision ?? this.startRevision - 1;
  }

  /** Stops the watch; the events of the message being delivered are still recorded. */
  async close(): Promise<void> {
    this.stop.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    while (!this.stop.signal.aborted) {
      const client = connect({ endpoints: this.endpoints(), dialTimeoutMs: 1_000 });
      try {
        const watch = client.watch(KEY_PREFIX, { prefix: true, prevKv: true, fromRevision: this.lastRevision() + 1, signal: this.stop.signal });
        for await (const event of watch) this.events.push(loggedEventOf(event));
      } catch (error) {
        this.restarts.push(String(error));
        await sleep(RESTART_DELAY_MS);
      } finally {
        client.close();
      }
    }
  }
}
