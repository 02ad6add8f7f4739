// Runs a command-line tool to completion within a deadline: its stdout, or an error that says
// what was run and what the tool said, so a failed helm or promtool call explains itself.

import { execFile } from 'node:child_process';

const OUTPUT_BYTES_MAX = 64 * 1024 * 1024;

export interface ToolRun {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
}

export function runTool(binary: string, args: readonly string[], options: ToolRun): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: OUTPUT_BYTES_MAX }, (error, stdout, stderr) => {
      if (error === null) {
        resolve(stdout);
        return;
      }
      const reason = error.killed ? `was killed after ${options.timeoutMs} ms` : typeof error.code === 'number' ? `exited with ${error.code}` : `failed: ${error.message}`;
      reject(new Error(`${binary} ${args.join(' ')} ${reason}:\n${[stderr.trim(), stdout.trim()].filter((text) => text !== '').join('\n')}`));
    });
  });
}
