// What a run leaves in its directory for a reader after a failure: the history, the fault
// events, the event log and each watcher's events as JSON lines, and the report. Member logs
// and data directories are written there by the cluster itself.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoggedEvent } from './checks/event-log.js';
import type { WatchRecorder } from './checks/watch-recorder.js';
import type { FaultEvent } from './faults/nemesis.js';
import type { RecordedOperation } from './workload/recorded-operation.js';

export interface RunArtifacts {
  readonly operations: readonly RecordedOperation[];
  readonly faultEvents: readonly FaultEvent[];
  readonly eventLog: readonly LoggedEvent[];
  readonly watchers: readonly WatchRecorder[];
  /** The printed report, or the error that ended the run. */
  readonly summary: string;
}

function jsonLines(items: readonly unknown[]): string {
  return items.map((item) => JSON.stringify(item)).join('\n') + (items.length > 0 ? '\n' : '');
}

export async function writeArtifacts(runDirectory: string, artifacts: RunArtifacts): Promise<void> {
  await writeFile(join(runDirectory, 'history.jsonl'), jsonLines(artifacts.operations));
  await writeFile(join(runDirectory, 'faults.jsonl'), jsonLines(artifacts.faultEvents));
  await writeFile(join(runDirectory, 'event-log.jsonl'), jsonLines(artifacts.eventLog));
  for (const watcher of artifacts.watchers) {
    const header = { watcherId: watcher.watcherId, startRevision: watcher.startRevision, restarts: watcher.restarts };
    await writeFile(join(runDirectory, `watcher-${watcher.watcherId}.jsonl`), jsonLines([header, ...watcher.events]));
  }
  await writeFile(join(runDirectory, 'report.txt'), `${artifacts.summary}\n`);
}
