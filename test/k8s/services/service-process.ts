// A service a test asked for: started as a tracked process (its pid in the bed's registry, its
// output in a log file) and waited for until it answers its readiness URL. A service that exits
// or is not ready in time is stopped, and the error carries the end of its log. Whatever still
// runs when this process exits is killed.

import { readFileSync } from 'node:fs';
import { spawnTracked, type PidRegistry, type TrackedProcess } from '../bed/processes.js';

const POLL_INTERVAL_MS = 100;
const PROBE_TIMEOUT_MS = 2_000;
const LOG_TAIL_CHARACTERS = 4_000;

/** Services of this process that have not exited yet. */
const runningServices = new Set<number>();

// A test runner that exits without reaching its afterAll (it crashed, or vitest gave up on it)
// must not leave services behind; an exit handler can only act synchronously, hence SIGKILL.
process.once('exit', () => {
  for (const pid of runningServices) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export interface ServiceStart {
  readonly registry: PidRegistry;
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  /** A GET of this URL answers 200 once the service serves. */
  readonly readyUrl: string;
  readonly readyTimeoutMs: number;
}

export async function startService(name: string, binary: string, args: readonly string[], options: ServiceStart): Promise<TrackedProcess> {
  const service = spawnTracked(name, binary, args, { registry: options.registry, logFile: options.logFile, env: options.env });
  runningServices.add(service.pid);
  void service.exited.then(() => runningServices.delete(service.pid));
  const deadline = Date.now() + options.readyTimeoutMs;
  let failure: string | undefined;
  while (failure === undefined) {
    if (!service.running()) failure = `${name} exited with ${await service.exited} while starting`;
    else if (await answersOk(options.readyUrl)) return service;
    else if (Date.now() > deadline) failure = `${name} was not ready at ${options.readyUrl} after ${options.readyTimeoutMs} ms`;
    else await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  await service.stop();
  throw new Error(`${failure}; the end of its log (${options.logFile}):\n${logTail(options.logFile)}`);
}

async function answersOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

export function logTail(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').slice(-LOG_TAIL_CHARACTERS);
  } catch {
    return '(no log)';
  }
}
