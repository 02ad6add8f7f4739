// One `bvault server` child process of `bvault dev`: started with the same Node.js loader as
// this process (so it works from source under tsx and from the build), its output relayed
// line by line with the node's name in front, and stopped with SIGTERM (SIGKILL if it hangs).

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildNode {
  readonly name: string;
  readonly process: ChildProcess;
  /** Resolves once the child has exited, with how: "code 0", "signal SIGKILL" or "error ...". */
  readonly exited: Promise<string>;
}

export function startChildNode(name: string, serverArgs: readonly string[], output: NodeJS.WritableStream): ChildNode {
  const script = process.argv[1] as string;
  const child = spawn(process.execPath, [...process.execArgv, script, 'server', ...serverArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `${name.padEnd(4)}| `;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => output.write(`${prefix}${line}\n`));
  }
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code === null ? `signal ${signal ?? 'unknown'}` : `code ${code}`));
    child.once('error', (error) => resolve(`error ${error.message}`));
  });
  return { name, process: child, exited };
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
