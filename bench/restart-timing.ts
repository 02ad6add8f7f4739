// How long a member killed with kill -9 takes to serve again, measured from outside as a
// client and an orchestrator see it: the process is started, then probes poll its HTTP port
// every few milliseconds for listening (/healthz answers), ready (/readyz: a leader is known
// and the member has applied what it knew to be committed), and a first completed write and
// linearizable read sent to it, each retried as a client would until one succeeds.
// Shared by `npm run bench:restart` (restart-bench.ts) and the recovery test (test/cluster/recovery.test.ts).
import { request, type ServerProcess, sleep } from '../test/cluster/cluster-harness.js';

/** Between probe attempts; also the resolution of the figures. */
const PROBE_INTERVAL_MS = 5;

export interface RestartTimings {
  readonly member: string;
  /** From starting the process to its HTTP port answering. */
  readonly listeningMs: number;
  /** From starting the process to /readyz answering 200. */
  readonly readyMs: number;
  /** From starting the process to the first write sent to it completing (200). */
  readonly firstWriteMs: number;
  /** From starting the process to the first linearizable read sent to it completing (200). */
  readonly firstReadMs: number;
}

/** ready − listening: what the member waits for once it answers, before it serves. */
export function listeningToReadyMs(timings: RestartTimings): number {
  return timings.readyMs - timings.listeningMs;
}

/** Starts `member` (stopped, e.g. by kill -9) and times it until all four probes succeeded. */
export async function timeRestart(member: ServerProcess, timeoutMs: number): Promise<RestartTimings> {
  const startedAtMs = performance.now();
  const deadlineMs = startedAtMs + timeoutMs;
  member.start();
  const probe = async (what: string, succeeded: (attempt: number) => Promise<boolean>): Promise<number> => {
    for (let attempt = 0; ; attempt++) {
      if (!member.running) throw new Error(`${member.name} exited while restarting; its log:\n${member.log}`);
      if (await succeeded(attempt).catch(() => false)) return performance.now() - startedAtMs;
      if (performance.now() > deadlineMs) throw new Error(`${member.name} was not ${what} within ${timeoutMs} ms of its restart; its log:\n${member.log}`);
      await sleep(PROBE_INTERVAL_MS);
    }
  };
  const answers = (method: string, path: string, body?: string) => async (): Promise<boolean> => (await request(member.url, method, path, body)).status === 200;
  const [listeningMs, readyMs, firstWriteMs, firstReadMs] = await Promise.all([
    probe('listening', answers('GET', '/healthz')),
    probe('ready', answers('GET', '/readyz')),
    probe('writing', (attempt) => answers('PUT', `/api/v1/keys/restart-probe/${member.name}/${attempt}`, 'probe')()),
    probe('reading', answers('GET', '/api/v1/keys?prefix=restart-probe%2F&limit=1&consistency=linearizable')),
  ]);
  return { member: member.name, listeningMs, readyMs, firstWriteMs, firstReadMs };
}

/** One line: `n2: listening 412 ms, ready 530 ms (118 ms after listening), first write 541 ms, first read 536 ms`. */
export function describeRestart(timings: RestartTimings): string {
  const ms = (value: number): string => `${Math.round(value)} ms`;
  return `${timings.member}: listening ${ms(timings.listeningMs)}, ready ${ms(timings.readyMs)} (${ms(listeningToReadyMs(timings))} after listening), first write ${ms(timings.firstWriteMs)}, first read ${ms(timings.firstReadMs)}`;
}
