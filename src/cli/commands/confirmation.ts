// Asking before a command that cannot be undone. A script has no one to ask: without a
// terminal the command needs --yes, and says so, rather than wait for an answer or go ahead.
import { createInterface } from 'node:readline/promises';
import { UsageError } from './client-exit-codes.js';
import type { CommandContext } from './command-context.js';

export const YES_OPTION = { yes: { type: 'boolean', short: 'y' } } as const;

/** Resolves true once confirmed (by --yes or by typing yes), false when declined; throws UsageError without a terminal. */
export async function confirmed(context: CommandContext, what: string): Promise<boolean> {
  if (context.values.yes === true) return true;
  if (process.stdin.isTTY !== true) throw new UsageError(`${what}; there is no terminal to confirm on, so add --yes to go ahead`);
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`${what}. Type yes to go ahead: `);
    return answer.trim().toLowerCase() === 'yes';
  } finally {
    prompt.close();
  }
}
