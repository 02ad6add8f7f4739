// The two generations of a group's state. Everything of a group lives under the generation its
// root record names (key-codec.ts). Replacing the whole state (a Raft snapshot, or a restore
// committed through the log) fills the other generation from a stream, verifies it, and
// switches the root to it with one write, so a corrupt or truncated stream leaves the current
// state untouched. The store keeps a generation's meta and auth records in memory; they are
// read here, when it opens and when it switches.
import { decodeAuthState } from '../auth/auth-codec.js';
import { type AuthState, initialAuthState } from '../auth/auth-state.js';
import { MvccError } from './errors.js';
import { GENERATIONS, Keyspace, RESTORE_STAGING_TAG, rootKey } from './key-codec.js';
import { decodeMeta, encodeMeta, type MetaRecord } from './record-codec.js';
import { restoredMeta } from './restore-staging.js';
import { SnapshotReader } from './snapshot.js';
import { type Database, DatabaseReader, type StorageReader } from './storage.js';
import type { Revision } from './types.js';

/** Records of a stream written per LevelDB batch while a generation is filled. */
const RESTORE_BATCH_BYTES = 4 * 1024 * 1024;

export interface ReplaceOptions {
  /**
   * Set for a restore committed through the log: its entry's applied index and term (the
   * backup's own belong to another log), and the revision before it, which the restored state
   * moves past (restoredMeta). Unset for a Raft snapshot, which is the leader's state as it is.
   */
  readonly committed: { readonly appliedIndex: number; readonly appliedTerm: number; readonly revisionBefore: Revision } | undefined;
  /** Leaves out restore staging found in the stream (a backup's, not this log's). */
  readonly dropStaging: boolean;
}

/** The generation the root names after a switch, with the records the store keeps in memory. */
export interface SwitchedGeneration {
  readonly keyspace: Keyspace;
  readonly state: MetaRecord;
  readonly auth: AuthState;
}

/**
 * Fills the generation `active` is not with the stream and switches the root to it. The
 * previous generation is left as it was: the caller clears it once nothing reads it.
 */
export async function switchGeneration(db: Database, active: Keyspace, stream: AsyncIterable<Uint8Array>, options: ReplaceOptions): Promise<SwitchedGeneration> {
  const target = otherGeneration(active);
  const loaded = await loadGeneration(db, target, stream, options.dropStaging);
  const { committed } = options;
  const state = committed === undefined ? loaded : { ...restoredMeta(loaded, committed.revisionBefore), appliedIndex: committed.appliedIndex, appliedTerm: committed.appliedTerm };
  const root = Buffer.from([target.generation]);
  await db.batch().put(target.metaKey(), encodeMeta(state)).put(rootKey(active.group), root).write();
  const auth = await readAuth(new DatabaseReader(db), target);
  return { keyspace: target, state, auth };
}

export function otherGeneration(keyspace: Keyspace): Keyspace {
  return new Keyspace(keyspace.group, keyspace.generation === GENERATIONS[0] ? GENERATIONS[1] : GENERATIONS[0]);
}

export async function readMeta(reader: StorageReader, keyspace: Keyspace): Promise<MetaRecord | undefined> {
  const [bytes] = await reader.getMany([keyspace.metaKey()]);
  return bytes === undefined ? undefined : decodeMeta(bytes);
}

export async function readAuth(reader: StorageReader, keyspace: Keyspace): Promise<AuthState> {
  const [bytes] = await reader.getMany([keyspace.authKey()]);
  return bytes === undefined ? initialAuthState() : decodeAuthState(bytes);
}

/** Writes the stream's records into `target`, cleared first; on any failure clears it again and rethrows. */
async function loadGeneration(db: Database, target: Keyspace, stream: AsyncIterable<Uint8Array>, dropStaging: boolean): Promise<MetaRecord> {
  await db.clear(target.bounds());
  const parser = new SnapshotReader();
  let batch = db.batch();
  let batchBytes = 0;
  try {
    for await (const chunk of stream) {
      for (const record of parser.push(chunk)) {
        // A backup taken while another restore was staged carries that staging; it is not state.
        if (dropStaging && record.key[0] === RESTORE_STAGING_TAG) continue;
        batch.put(target.absolute(record.key), Buffer.from(record.value));
        batchBytes += record.key.length + record.value.length;
        if (batchBytes >= RESTORE_BATCH_BYTES) {
          await batch.write();
          batch = db.batch();
          batchBytes = 0;
        }
      }
    }
    parser.finish();
    await batch.write();
    const state = await readMeta(new DatabaseReader(db), target);
    if (state === undefined) throw new MvccError('MVCC_SNAPSHOT_INVALID', { reason: 'the snapshot holds no meta record' });
    return state;
  } catch (error) {
    // Closing a batch that was already written is a no-op.
    await batch.close();
    await db.clear(target.bounds());
    throw error;
  }
}
