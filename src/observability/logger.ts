// JSON-lines logging (pino). Every component logs through a child of the node's logger, so
// each line names the node and the component it came from.

import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  /** Fields on every line, e.g. { node: 'n1' }. */
  readonly base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino({ level: options.level ?? 'info', base: options.base ?? {} });
}

/** A logger that drops everything, for tests and embedded use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
