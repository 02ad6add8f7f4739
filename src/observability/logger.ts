// Logging (pino). Every component logs through a child of the node's logger, so each line
// names the node and the component it came from. Lines are JSON for machines (a file, a log
// collector, `bvault dev` relaying them) and human-readable (pino-pretty) for a person at a
// terminal.

import { createRequire } from 'node:module';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import type { PinoPretty as PrettyStream } from 'pino-pretty';

export type { Logger };

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  /** Fields on every line, e.g. { node: 'n1' }. */
  readonly base?: Record<string, unknown>;
  /** Human-readable lines instead of JSON; default false. */
  readonly pretty?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = { level: options.level ?? 'info', base: options.base ?? {} };
  // Synchronous, like pino's own destination, so the last lines before an exit are not lost.
  return options.pretty === true ? pino(settings, prettyStream()({ sync: true, destination: 1 })) : pino(settings);
}

/** Loaded only for a terminal: a member logging JSON, as a restarted one under a supervisor does, starts sooner without it. */
function prettyStream(): typeof PrettyStream {
  return (createRequire(import.meta.url)('pino-pretty') as { PinoPretty: typeof PrettyStream }).PinoPretty;
}

/** A logger that drops everything, for tests and embedded use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
