// A node's first start into a running cluster, as one step that can be taken back. Joining adds
// the member to the cluster and writes into the data directory; a start that fails after that
// (its gRPC port is taken, say) would leave a learner that never runs and a data directory that
// claims a membership the cluster no longer grants. Undoing removes the member again and the
// files this attempt created, and nothing that was there before.

import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { requestJoin, withdrawJoin, type JoinedCluster, type JoinRequest } from './join-request.js';

export interface JoinAttempt {
  readonly joined: JoinedCluster;
  /** Removes the member from the cluster and what the attempt wrote into `dataDir`. */
  undo(): Promise<void>;
}

export async function attemptJoin(request: JoinRequest, dataDir: string): Promise<JoinAttempt> {
  const entriesBefore = await entriesOf(dataDir);
  const joined = await requestJoin(request);
  return {
    joined,
    undo: async () => {
      await withdrawJoin(request);
      if (entriesBefore === undefined) {
        await rm(dataDir, { recursive: true, force: true });
        return;
      }
      const created = (await entriesOf(dataDir) ?? []).filter((name) => !entriesBefore.includes(name));
      for (const name of created) await rm(join(dataDir, name), { recursive: true, force: true });
    },
  };
}

/** The names in the directory, or undefined when it does not exist. */
async function entriesOf(directory: string): Promise<string[] | undefined> {
  try {
    return await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
