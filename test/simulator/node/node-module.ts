// Loads the node under simulation from a source directory at run time, so that the node
// mutation script can point the simulator at a deliberately broken copy of src/ without
// touching it (as raft-module.ts does for the Raft core alone).

import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { NodeOptions } from '../../../src/node/node-options.js';
import type { RaftKvNode } from '../../../src/node/raft-kv-node.js';

/** The environment variable naming the source directory (a copy of src/) to simulate. */
export const SOURCE_DIRECTORY_VARIABLE = 'BVAULT_SIM_SOURCE_DIR';

export interface NodeModule {
  readonly directory: string;
  open(options: NodeOptions): Promise<RaftKvNode>;
}

export function defaultSourceDirectory(): string {
  return process.env[SOURCE_DIRECTORY_VARIABLE] ?? fileURLToPath(new URL('../../../src', import.meta.url));
}

export async function loadNodeModule(directory: string = defaultSourceDirectory()): Promise<NodeModule> {
  const url = pathToFileURL(join(directory, 'node', 'raft-kv-node.ts')).href;
  const exports = (await import(/* @vite-ignore */ url)) as { RaftKvNode?: typeof RaftKvNode };
  const node = exports.RaftKvNode;
  if (node === undefined) throw new Error(`${directory}/node/raft-kv-node.ts does not export RaftKvNode; the node simulator needs it`);
  return { directory, open: (options) => node.open(options) };
}
