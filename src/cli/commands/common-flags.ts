// The flags every client command shares, and the help flags, apart from the client they
// configure: `bvault` reads them to find the command in a command line, and `bvault server`
// must not load the client library (and a tenth of a second of start-up) to do that.
import type { ParseArgsConfig } from 'node:util';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export const COMMON_OPTIONS: OptionsConfig = {
  endpoints: { type: 'string' },
  'write-out': { type: 'string', short: 'w' },
  'timeout-ms': { type: 'string' },
  user: { type: 'string' },
  // etcdctl's names for TLS: the CA bundle, and the client certificate and key.
  cacert: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
};

/**
 * Whether `arg` is one of the common flags that takes a value (`--endpoints host:port`), so a
 * command line with it before the command can be read: its value is not the command's name.
 */
export function isCommonFlagWithValue(arg: string): boolean {
  return Object.entries(COMMON_OPTIONS).some(([name, option]) => option.type === 'string' && (arg === `--${name}` || (option.short !== undefined && arg === `-${option.short}`)));
}

export function isHelpFlag(arg: string): boolean {
  return arg === '--help' || arg === '-h';
}
