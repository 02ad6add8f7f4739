// After healing, every member holds the state the event log replays to: the replicas agree,
// and none kept a write the log lost or lost one it kept. A member still catching up gets a
// grace period before its difference counts.
import { connect } from '../../../src/client/index.js';
import { sleep } from '../../cluster/cluster-harness.js';
import { KEY_PREFIX } from '../workload/recorded-operation.js';
import type { CheckOutcome } from './check-outcome.js';
import { type LoggedEvent, replayEventLog } from './event-log.js';

const RETRY_INTERVAL_MS = 500;

/** The member's own copy of the workload's keys (a serializable read answered locally). */
async function memberState(endpoint: string): Promise<Map<string, string>> {
  const client = connect({ endpoints: [endpoint], dialTimeoutMs: 1_000, requestTimeoutMs: 5_000 });
  try {
    const state = new Map<string, string>();
    for await (const page of client.listPages(KEY_PREFIX, { consistency: 'serializable' })) {
      for (const kv of page.kvs) state.set(kv.key.toString('utf8'), kv.value.toString('utf8'));
    }
    return state;
  } finally {
    client.close();
  }
}

function difference(expected: ReadonlyMap<string, string>, actual: ReadonlyMap<string, string>): string | undefined {
  for (const [key, value] of expected) if (actual.get(key) !== value) return `${key} is ${actual.get(key) ?? 'missing'}, the log says ${value}`;
  for (const [key, value] of actual) if (!expected.has(key)) return `${key}=${value} exists, the log deleted it or never wrote it`;
  return undefined;
}

export async function checkConvergence(endpoints: readonly string[], log: readonly LoggedEvent[], graceMs: number): Promise<CheckOutcome> {
  const started = performance.now();
  const expected = new Map([...replayEventLog(log).finalState].map(([key, version]) => [key, version.value]));
  const problems: string[] = [];
  for (const endpoint of endpoints) {
    let problem: string | undefined;
    const deadline = performance.now() + graceMs;
    do {
      problem = await memberState(endpoint).then((state) => difference(expected, state), (error: unknown) => `cannot be read: ${String(error)}`);
      if (problem !== undefined) await sleep(RETRY_INTERVAL_MS);
    } while (problem !== undefined && performance.now() < deadline);
    if (problem !== undefined) problems.push(`member ${endpoint}: ${problem}`);
  }
  const summary = `${endpoints.length} members compared with the ${expected.size} keys the log leaves`;
  const detail = problems.length === 0 ? summary : `${summary}\n${problems.join('\n')}`;
  return { name: 'replicas converge', result: problems.length === 0 ? 'ok' : 'illegal', detail, elapsedMs: performance.now() - started, mustDecide: true };
}
