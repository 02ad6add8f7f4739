// The shell blocks of the project's Markdown: each fenced block in sh, bash, shell or console
// must say, in an HTML comment on the line before it, whether the doc test runs it:
//   <!-- doc-test: run -->                 run against a real cluster by doc-commands.test.ts
//   <!-- doc-test: not run: <why> -->      shown only (a long run, a second terminal, ...)
// so that a command in the docs either runs in a test or says that it does not.

import { readFileSync } from 'node:fs';

export interface ShellBlock {
  /** file:line of the opening fence. */
  readonly where: string;
  readonly marker: 'run' | 'not run' | undefined;
  readonly text: string;
}

const SHELL_FENCE = /^```(sh|bash|shell|console)\b/;
const FENCE = /^```/;
const MARKER = /^<!-- doc-test: (run|not run: .+) -->$/;

export function shellBlocks(path: string, displayName: string): ShellBlock[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks: ShellBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (!FENCE.test(line)) continue;
    const end = closingFence(lines, index);
    if (SHELL_FENCE.test(line)) {
      const marker = MARKER.exec(previousNonBlank(lines, index) ?? '')?.[1];
      blocks.push({
        where: `${displayName}:${index + 1}`,
        marker: marker === undefined ? undefined : marker === 'run' ? 'run' : 'not run',
        text: lines.slice(index + 1, end).join('\n'),
      });
    }
    index = end;
  }
  return blocks;
}

function closingFence(lines: readonly string[], opening: number): number {
  for (let index = opening + 1; index < lines.length; index++) if (FENCE.test(lines[index]!)) return index;
  throw new Error(`the fence opened at line ${opening + 1} is never closed`);
}

function previousNonBlank(lines: readonly string[], index: number): string | undefined {
  for (let previous = index - 1; previous >= 0; previous--) if (lines[previous]!.trim() !== '') return lines[previous]!.trim();
  return undefined;
}
