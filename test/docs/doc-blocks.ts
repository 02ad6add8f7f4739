// The shell blocks of the project's Markdown: each fenced block in sh, bash, shell or console
// must say, in an HTML comment on the line before it, whether the doc test runs it:
//   <!-- doc-test: run -->                 run against a real cluster by doc-commands.test.ts
//   <!-- doc-test: run on the test bed --> run on the Kubernetes test bed by
//                                          test/operator/kubernetes-docs.test.ts
//   <!-- doc-test: not run: <why> -->      shown only (a long run, a second terminal, ...)
// so that a command in the docs either runs in a test or says that it does not.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ShellBlock {
  /** file:line of the opening fence. */
  readonly where: string;
  readonly marker: 'run' | 'run on the test bed' | 'not run' | undefined;
  readonly text: string;
}

const SHELL_FENCE = /^```(sh|bash|shell|console)\b/;
const FENCE = /^```/;
const MARKER = /^<!-- doc-test: (run|run on the test bed|not run: .+) -->$/;

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
        marker: marker === undefined || marker === 'run' || marker === 'run on the test bed' ? marker : 'not run',
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

export interface ScriptOutcome {
  readonly exitCode: number | null;
  /** stdout and stderr as they came. */
  readonly output: string;
}

/** Runs a block's script with bash, killed at the deadline (exitCode null then). */
export function runScript(script: string, options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv; readonly timeoutMs: number }): Promise<ScriptOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const deadline = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', reject);
    child.once('exit', (exitCode) => {
      clearTimeout(deadline);
      resolve({ exitCode, output });
    });
  });
}
