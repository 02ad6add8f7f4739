// Opening a member before it runs: lock the data directory, check its identity against the
// options, load the encryption keys, open the Raft log and the MVCC store, rebuild the member
// table, and restart the Raft core from the applied index the store recorded (a new cluster's
// first member list is bootstrapped here). What a failing step leaves open is closed again and
// the lock released, so a member that could not start can be started again.

import { loadRecordCipher } from '../encryption/key-file.js';
import type { Logger } from '../observability/logger.js';
import { createNodeMetrics, type NodeMetrics } from '../observability/metrics.js';
import type { StartupSteps } from '../observability/startup-steps.js';
import type { RawNode } from '../raft/raw-node.js';
import { type DataDirLayout, DataDirLock, dataDirLayout, loadOrCreateIdentity } from './data-dir.js';
import { clusterIdOf, memberIdOf } from './identity.js';
import { detailsByMemberId, MemberTable } from './member-table.js';
import { knownMembers, type ResolvedNodeOptions } from './node-options.js';
import { closeNodeStorage, createRawNode, type NodeStorage, openNodeStorage, rebuildMemberTable, restartAppliedIndex, storageIsEmpty } from './node-storage.js';

/** What a RaftKvNode is built from; it owns them all and closes them when it stops. */
export interface NodeParts {
  readonly options: ResolvedNodeOptions;
  readonly layout: DataDirLayout;
  readonly lock: DataDirLock;
  readonly clusterId: string;
  readonly storage: NodeStorage;
  readonly rawNode: RawNode;
  readonly members: MemberTable;
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
}

/** Opens the data directory into a node's parts; rejects with a NodeError or a storage error naming the problem. */
export async function openNodeParts(options: ResolvedNodeOptions, steps: StartupSteps): Promise<NodeParts> {
  const layout = dataDirLayout(options.dataDir);
  const { fileSystem } = options.io;
  const lock = await steps.time('lockDataDir', () => DataDirLock.acquire(options.io, layout));
  let storage: NodeStorage | undefined;
  try {
    const clusterId = configuredClusterId(options);
    await steps.time('identity', () => loadOrCreateIdentity(fileSystem, layout, { name: options.name, memberId: memberIdOf(options.name), clusterId }));
    const logger = options.logger.child({ component: 'node', member: options.name });
    const cipher = await steps.time('encryptionKeys', () => loadRecordCipher(options.encryptionKeyFile, (warning) => logger.warn(warning)));
    storage = await openNodeStorage(layout, options, cipher, steps);
    return assembleParts({ options, layout, lock, clusterId, storage, logger }, steps);
  } catch (error) {
    if (storage !== undefined) await closeNodeStorage(storage);
    await lock.release();
    throw error;
  }
}

/** Closes the storage and releases the data directory's lock: the last step of stopping. */
export async function closeNodeParts(parts: NodeParts): Promise<void> {
  await closeNodeStorage(parts.storage);
  await parts.lock.release();
}

/** The member table and the Raft core on top of the opened storage. */
function assembleParts(opened: Omit<NodeParts, 'rawNode' | 'members' | 'metrics'>, steps: StartupSteps): NodeParts {
  const { options, storage } = opened;
  const id = memberIdOf(options.name);
  const members = new MemberTable(detailsByMemberId(knownMembers(options)));
  const fresh = storageIsEmpty(storage.logStore);
  const applied = restartAppliedIndex(storage);
  steps.timeSync('memberTableRebuild', () => rebuildMemberTable(members, storage.logStore, applied));
  const rawNode = steps.timeSync('raftRestart', () => createRawNode(id, storage, options, applied));
  if (fresh && options.cluster.mode === 'new') rawNode.bootstrap(options.cluster.initialMembers.map((member) => memberIdOf(member.name)));
  const metrics = createNodeMetrics(options.metricsRegistry);
  return { ...opened, rawNode, members, metrics };
}

function configuredClusterId(options: ResolvedNodeOptions): string {
  const cluster = options.cluster;
  if (cluster.mode === 'join') return cluster.clusterId;
  return clusterIdOf(new Map(cluster.initialMembers.map((member) => [member.name, member.peerAddress])));
}
