// Opens what a node keeps on disk under its data directory: the Raft log (raft/), the MVCC
// database (keyvalue/), and the Raft core on top of them, restarted from the applied index
// the MVCC store recorded with its data. A snapshot the log applied but the state machine
// never restored (a crash in between) is restored first.

import type { RecordCipher } from '../encryption/record-cipher.js';
import { type Database, EncryptedDatabase, MvccStore, openEncryptedDatabase } from '../mvcc/index.js';
import { decodeConfChange } from '../raft/confchange-codec.js';
import { defaultConfig } from '../raft/config.js';
import { SeededRandom } from '../raft/random.js';
import { RawNode } from '../raft/raw-node.js';
import type { NodeId } from '../raft/types.js';
import { EntryType, groupId, logIndex } from '../raft/types.js';
import { DurableLogStore } from '../storage/index.js';
import type { DataDirLayout } from './data-dir.js';
import { decodeEnvelope } from './entry-envelope.js';
import type { MemberTable } from './member-table.js';
import type { ResolvedNodeOptions } from './node-options.js';
import type { StartupSteps } from '../observability/startup-steps.js';
import { readReceivedSnapshot, receivedSnapshotPath, removeReceivedSnapshots } from './received-snapshots.js';

/** The Raft group of the whole keyspace; more groups come with sharding. */
export const KEYSPACE_GROUP = groupId(0);
const MEMBER_REPLAY_PAGE_BYTES = 4 * 1024 * 1024;

export interface NodeStorage {
  readonly logStore: DurableLogStore;
  readonly database: Database;
  readonly mvcc: MvccStore;
  /** Encryption at rest of all three; RecordCipher.disabled when it is off. */
  readonly cipher: RecordCipher;
  /** `database` when encryption is on, for key rotation. */
  readonly encryptedDatabase: EncryptedDatabase | undefined;
}

/**
 * Opens the log and the database, timing each step in `steps`. Rejects with an EncryptionError
 * naming the key id when data on disk is sealed under a key `cipher` does not hold.
 */
export async function openNodeStorage(layout: DataDirLayout, options: ResolvedNodeOptions, cipher: RecordCipher, steps: StartupSteps): Promise<NodeStorage> {
  const { fileSystem } = options.io;
  const logStore = await steps.time('walReplay', () => DurableLogStore.open(layout.root, { groupId: KEYSPACE_GROUP, fileSystem, cipher }));
  let database: Database | undefined;
  try {
    database = await steps.time('levelDbOpen', () => options.io.openDatabase(layout.keyvalue));
    const opened = await openEncryptedDatabase(database, cipher, layout.keyvalue);
    const mvcc = await steps.time('mvccOpen', () => MvccStore.open(opened, { groupId: KEYSPACE_GROUP, limits: options.limits }));
    const { index, term } = logStore.snapshot().metadata;
    if (mvcc.appliedIndex < index) await steps.time('snapshotRestore', () => mvcc.restore(readReceivedSnapshot(fileSystem, receivedSnapshotPath(layout, term, index), cipher)));
    await steps.time('receivedSnapshotsRemoval', () => removeReceivedSnapshots(fileSystem, layout, Number.MAX_SAFE_INTEGER));
    return { logStore, database: opened, mvcc, cipher, encryptedDatabase: opened instanceof EncryptedDatabase ? opened : undefined };
  } catch (error) {
    await database?.close();
    await logStore.close();
    throw error;
  }
}

export async function closeNodeStorage(storage: NodeStorage): Promise<void> {
  await storage.mvcc.close();
  await storage.database.close();
  await storage.logStore.close();
}

/**
 * The index Raft restarts from: what the state machine applied, but never past the commit
 * index Raft restarts with (the state machine may be ahead of the log after restoring a
 * snapshot). That is the one on disk, or the start of the log when the hard state is behind
 * it (a crash after a received snapshot became durable and before the hard state beside it
 * did): what was compacted away was committed.
 */
export function restartAppliedIndex(storage: NodeStorage): number {
  const { logStore } = storage;
  const committed = Math.max(logStore.initialState().hardState.commit, logStore.firstIndex() - 1);
  return Math.min(storage.mvcc.appliedIndex, committed);
}

export function createRawNode(id: NodeId, storage: NodeStorage, options: ResolvedNodeOptions, applied: number): RawNode {
  const config = defaultConfig({
    id,
    groupId: KEYSPACE_GROUP,
    storage: storage.logStore,
    random: new SeededRandom(options.randomSeed),
    electionTicks: options.electionTicks,
    heartbeatTicks: options.heartbeatTicks,
    applied: logIndex(applied),
  });
  return new RawNode(config);
}

/** A brand-new member of a new cluster: nothing on disk yet. */
export function storageIsEmpty(logStore: DurableLogStore): boolean {
  const { hardState } = logStore.initialState();
  return logStore.lastIndex() === 0 && hardState.term === 0 && logStore.snapshot().metadata.index === 0;
}

/** Rebuilds the member table as of `applied`: the log snapshot's table plus the membership entries after it. */
export function rebuildMemberTable(members: MemberTable, logStore: DurableLogStore, applied: number): void {
  const snapshot = logStore.snapshot();
  members.load(snapshot.data);
  let next = snapshot.metadata.index + 1;
  while (next <= applied) {
    const page = logStore.entries(logIndex(next), logIndex(applied + 1), MEMBER_REPLAY_PAGE_BYTES);
    for (const entry of page) {
      if (entry.type === EntryType.ConfChange) members.applyConfChange(decodeConfChange(entry.data));
      else if (entry.data.byteLength > 0) members.applyEntry(decodeEnvelope(entry.data));
    }
    next += page.length;
  }
}
