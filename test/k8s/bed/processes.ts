// The processes of a test bed: each one is started with its output in a log file and its pid
// written to the bed's pid registry (a directory of <pid> files), so that a teardown finds and
// stops every one of them by pid — even when the process that started them died first.

import { spawn, type SpawnOptions } from 'node:child_process';
import { openSync, closeSync, mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export class PidRegistry {
  constructor(readonly directory: string) {
    mkdirSync(directory, { recursive: true });
  }

  add(pid: number, name: string): void {
    writeFileSync(join(this.directory, String(pid)), `${name}\n`);
  }

  remove(pid: number): void {
    rmSync(join(this.directory, String(pid)), { force: true });
  }

  /** Every recorded process, with the name it was started under. */
  entries(): { pid: number; name: string }[] {
    let files: string[];
    try {
      files = readdirSync(this.directory);
    } catch {
      return [];
    }
    return files.filter((file) => /^\d+$/.test(file)).map((file) => ({
      pid: Number(file),
      name: readFileSync(join(this.directory, file), 'utf8').trim(),
    }));
  }
}

export interface TrackedProcess {
  readonly pid: number;
  readonly name: string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  readonly exited: Promise<number | string>;
  running(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface TrackedSpawnOptions {
  readonly registry: PidRegistry;
  /** stdout and stderr are appended to this file. */
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Extra spawn options (e.g. stdio for a pipe the caller reads). */
  readonly spawnOptions?: SpawnOptions;
}

/** Starts `command` with its output appended to `logFile` and its pid in the registry. */
export function spawnTracked(name: string, command: string, args: readonly string[], options: TrackedSpawnOptions): TrackedProcess {
  const log = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', log, log],
    ...options.spawnOptions,
  });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) {
    // A command that cannot be run (missing, not executable) is also reported by an 'error'
    // event a moment later; without a listener it would crash the caller's process.
    child.once('error', () => undefined);
    throw new Error(`could not start ${name} (${command})`);
  }
  options.registry.add(pid, name);
  let ended = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = true;
      options.registry.remove(pid);
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', () => {
      ended = true;
      options.registry.remove(pid);
      resolve('spawn error');
    });
  });
  return {
    pid,
    name,
    exited,
    running: () => !ended,
    stop: async (graceMs = 5_000) => {
      if (ended) return;
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(killTimer);
    },
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stops processes that are not this process's children (recorded by a bed that died): SIGTERM, then SIGKILL. */
export async function stopByPid(pids: readonly number[], graceMs: number): Promise<void> {
  const signal = (pid: number, name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  };
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  for (const pid of pids) if (isAlive(pid)) signal(pid, 'SIGKILL');
  while (pids.some(isAlive)) await new Promise((resolve) => setTimeout(resolve, 50));
}
