// Where the command is in a `bvault` command line. Flags may come before it as well as after
// (`bvault --endpoints h:2379 get k`, as etcdctl allows): the flags before it are handed to
// the command with the rest, so each command parses every flag it was given.
import { isCommonFlagWithValue } from './commands/common-flags.js';

export interface CommandLine {
  /** The first argument that is neither a flag nor a flag's value; undefined when there is none. */
  readonly command: string | undefined;
  /** Everything else, the flags that came before the command first. */
  readonly args: readonly string[];
}

export function splitCommandLine(argv: readonly string[]): CommandLine {
  const leading: string[] = [];
  let index = 0;
  while (index < argv.length && argv[index]?.startsWith('-') === true && argv[index] !== '--') {
    const flag = argv[index] ?? '';
    const takesNext = isCommonFlagWithValue(flag) && index + 1 < argv.length;
    leading.push(...argv.slice(index, takesNext ? index + 2 : index + 1));
    index += takesNext ? 2 : 1;
  }
  return { command: argv[index], args: [...leading, ...argv.slice(index + 1)] };
}
