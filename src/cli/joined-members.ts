// The member list a joining node received from the cluster, kept in its data directory. The
// log's first entry adds the initial members without their addresses (every original member
// knows them from initial-cluster), so a member that joined and restarts before any snapshot
// carries the member table would not know how to reach them; restarting from this list, it does.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dataDirLayout } from '../node/data-dir.js';
import type { MemberAddress } from '../node/node-options.js';

const JOINED_MEMBERS_FILE = 'joined-members.json';

function pathOf(dataDir: string): string {
  return join(dataDirLayout(dataDir).metadata, JOINED_MEMBERS_FILE);
}

/** Written once, before the node first starts; replaced whole, so a crash leaves the old file or the new one. */
export async function saveJoinedMembers(dataDir: string, members: readonly MemberAddress[]): Promise<void> {
  const path = pathOf(dataDir);
  await mkdir(dataDirLayout(dataDir).metadata, { recursive: true });
  await writeFile(`${path}.tmp`, JSON.stringify(members.map(({ name, peerAddress }) => ({ name, peerAddress }))));
  await rename(`${path}.tmp`, path);
}

/** The saved list, or none for a data directory that joined before this file existed. */
export async function storedJoinedMembersOf(dataDir: string): Promise<MemberAddress[]> {
  try {
    const parsed = JSON.parse(await readFile(pathOf(dataDir), 'utf8')) as unknown;
    if (!Array.isArray(parsed)) return [];
    return parsed.filter((member): member is MemberAddress => typeof member?.name === 'string' && typeof member?.peerAddress === 'string');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
