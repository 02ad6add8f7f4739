// The host commands the agent drives (ip, mount helpers): run with a deadline, failing with the
// command's own error text.

import { execFile } from 'node:child_process';

const COMMAND_TIMEOUT_MS = 20_000;

export function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: COMMAND_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

/** The same, for clean-up: a failure (the thing is already gone) is not an error. */
export async function runQuietly(command: string, args: readonly string[]): Promise<void> {
  await run(command, args).catch(() => undefined);
}

/** A string as one single-quoted shell word. */
export function shellWord(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
