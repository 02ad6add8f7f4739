// After healing, every member holds the state the event log replays to: the replicas agree,
// and none kept a write the log lost or lost one it kept. Each key's mod revision counts as
// well as its value: a member that applied entries the log lost and then skipped those that
// replaced them can end with the same values at other revisions. A member still catching up
// gets a grace period before its difference counts.
import { connect } from '../../../src/client/index.js';
import { sleep } from '../../cluster/cluster-harness.js';
import { KEY_PREFIX } from '../workload/recorded-operation.js';
import type { CheckOutcome } from './check-outcome.js';
import { type KeyVersion, type LoggedEvent, replayEventLog } from './event-log.js';

const RETRY_INTERVAL_MS = 500;

/** The member's own copy of the workload's keys (a serializable read answered locally). */
async function memberState(endpoint: string): Promise<Map<string, KeyVersion>> {
  const client = connect({ endpoints: [endpoint], dialTimeoutMs: 1_000, requestTimeoutMs: 5_000 });
  try {
    const state = new Map<string, KeyVersion>();
    for await (const page of client.listPages(KEY_PREFIX, { consistency: 'serializable' })) {
      for (const kv of page.kvs) state.set(kv.key.toString('utf8'), { value: kv.value.toString('utf8'), modRevision: kv.modRevision });
    }
    return state;
  } finally {
    client.close();
  }
}

function describeVersion(version: KeyVersion | undefined): string {
  return version === undefined ? 'missing' : `${version.value}@${version.modRevision}`;
}

/** The first way a member's copy differs from the log's state, or undefined when it holds exactly that. */
export function stateDifference(expected: ReadonlyMap<string, KeyVersion>, actual: ReadonlyMap<string, KeyVersion>): string | undefined {
  for (const [key, version] of expected) {
    const held = actual.get(key);
    if (held?.value !== version.value || held.modRevision !== version.modRevision) return `${key} is ${describeVersion(held)}, the log says ${describeVersion(version)}`;
  }
  for (const [key, version] of actual) if (!expected.has(key)) return `${key}=${describeVersion(version)} exists, the log deleted it or never wrote it`;
  return undefined;
}

export async function checkConvergence(endpoints: readonly string[], log: readonly LoggedEvent[], graceMs: number): Promise<CheckOutcome> {
  const started = performance.now();
  const expected = replayEventLog(log).finalState;
  const problems: string[] = [];
  for (const endpoint of endpoints) {
    let problem: string | undefined;
    const deadline = performance.now() + graceMs;
    do {
      problem = await memberState(endpoint).then((state) => stateDifference(expected, state), (error: unknown) => `cannot be read: ${String(error)}`);
      if (problem !== undefined) await sleep(RETRY_INTERVAL_MS);
    } while (problem !== undefined && performance.now() < deadline);
    if (problem !== undefined) problems.push(`member ${endpoint}: ${problem}`);
  }
  const summary = `${endpoints.length} members compared with the ${expected.size} keys the log leaves`;
  const detail = problems.length === 0 ? summary : `${summary}\n${problems.join('\n')}`;
  return { name: 'replicas converge', result: problems.length === 0 ? 'ok' : 'illegal', detail, elapsedMs: performance.now() - started, mustDecide: true };
}
