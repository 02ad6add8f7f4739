// The cluster id a data directory already belongs to, read before the node opens so that a
// member which joined earlier restarts into its cluster instead of asking to join again.
// src/node/data-dir.ts owns the identity file and does not export a reader without side
// effects; this reads only the one field the server needs, and the node validates the whole
// file again when it opens.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dataDirLayout, type NodeIdentity } from '../node/data-dir.js';

const IDENTITY_FILE = 'identity.json';

/** The stored cluster id, or undefined when the directory holds no identity yet. */
export async function storedClusterIdOf(dataDir: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(join(dataDirLayout(dataDir).metadata, IDENTITY_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const clusterId = (JSON.parse(text) as Partial<NodeIdentity>).clusterId;
  return typeof clusterId === 'string' ? clusterId : undefined;
}
