// One `bvault server` child process of `bvault dev`: started with the same Node.js loader as
// this process (so it works from source under tsx and from the build), its output relayed
// line by line with the node's name in front, and stopped with SIGTERM (SIGKILL if it hangs).
// It runs in its own process group, so a terminal's Ctrl-C reaches only `bvault dev`, which
// stops every node in order; and it has an IPC channel to dev, whose closing (dev ended, even
// by SIGKILL) stops the node, so no node outlives the command that started it.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export interface ChildNode {
  readonly name: string;
  readonly process: ChildProcess;
  /** Resolves once the child has exited, with how: "code 0", "signal SIGKILL" or "error ...". */
  readonly exited: Promise<string>;
  /** The last line the child wrote to stderr: a server that cannot start says why in one line. */
  lastErrorLine(): string | undefined;
}

export function startChildNode(name: string, serverArgs: readonly string[], output: NodeJS.WritableStream): ChildNode {
  const script = process.argv[1] as string;
  const child = spawn(process.execPath, [...process.execArgv, script, 'server', ...serverArgs], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
  const prefix = `${name.padEnd(4)}| `;
  let lastErrorLine: string | undefined;
  // Both are pipes, as asked for above; the IPC entry only hides that from the types.
  const [stdout, stderr] = [child.stdout, child.stderr] as [Readable, Readable];
  createInterface({ input: stdout }).on('line', (line) => output.write(`${prefix}${line}\n`));
  createInterface({ input: stderr }).on('line', (line) => {
    lastErrorLine = line;
    output.write(`${prefix}${line}\n`);
  });
  const exited = new Promise<string>((resolve) => {
    // 'close' comes after the output was read to its end, so the last error line is known.
    child.once('close', (code, signal) => resolve(code === null ? `signal ${signal ?? 'unknown'}` : `code ${code}`));
    child.once('error', (error) => resolve(`error ${error.message}`));
  });
  return { name, process: child, exited, lastErrorLine: () => lastErrorLine };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
export async function stopChildNode(node: ChildNode, graceMs: number): Promise<string> {
  if (node.process.exitCode !== null || node.process.signalCode !== null) return node.exited;
  node.process.kill('SIGTERM');
  const timer = setTimeout(() => node.process.kill('SIGKILL'), graceMs);
  try {
    return await node.exited;
  } finally {
    clearTimeout(timer);
  }
}
