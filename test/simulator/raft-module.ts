// Loads the Raft core under test from a directory at run time, so that the mutation script
// can point the simulator at a deliberately broken copy of src/raft without touching it.

import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RaftConfig } from '../../src/raft/config.js';
import type { RaftError } from '../../src/raft/errors.js';
import type { Storage } from '../../src/raft/storage.js';
import type { ConfChange, ConfState, Entry, HardState, LogIndex, Message, NodeId, Ready, Snapshot, Status } from '../../src/raft/types.js';

/** The environment variable naming the directory of the Raft core to simulate. */
export const RAFT_DIRECTORY_VARIABLE = 'BVAULT_SIM_RAFT_DIR';

/** The part of RawNode that the simulator drives; it mirrors the shared API contract. */
export interface RaftNode {
  bootstrap(voters: readonly NodeId[]): void;
  tick(): void;
  propose(data: Uint8Array): RaftError | null;
  proposeBatch(data: readonly Uint8Array[]): RaftError | null;
  proposeConfChange(cc: ConfChange): RaftError | null;
  applyConfChange(cc: ConfChange): ConfState;
  step(message: Message): RaftError | null;
  readIndex(context: Uint8Array): RaftError | null;
  transferLeadership(to: NodeId): RaftError | null;
  reportUnreachable(id: NodeId): void;
  reportSnapshot(id: NodeId, ok: boolean): void;
  hasReady(): boolean;
  ready(): Ready;
  advance(ready: Ready): void;
  status(): Status;
}

/**
 * A node's disk: MemoryStorage written synchronously, as the simulator needs every write to be
 * complete (or lost in a crash) at a point it chooses.
 */
export interface SimulatedDisk extends Storage {
  append(entries: readonly Entry[]): void;
  setHardState(hardState: HardState): void;
  applySnapshot(snapshot: Snapshot): void;
  createSnapshot(index: LogIndex, confState: ConfState, data: Uint8Array): Snapshot;
  compact(index: LogIndex): void;
}

export interface RaftModule {
  readonly directory: string;
  createNode(config: RaftConfig): RaftNode;
  createDisk(confState: ConfState): SimulatedDisk;
  encodeConfChange(cc: ConfChange): Uint8Array;
  decodeConfChange(bytes: Uint8Array): ConfChange;
}

export function defaultRaftDirectory(): string {
  return process.env[RAFT_DIRECTORY_VARIABLE] ?? fileURLToPath(new URL('../../src/raft', import.meta.url));
}

/** Imports the core's public API (index.ts) from `directory`; fails clearly if a piece is missing. */
export async function loadRaftModule(directory: string = defaultRaftDirectory()): Promise<RaftModule> {
  const url = pathToFileURL(join(directory, 'index.ts')).href;
  const exports = (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  const RawNode = requireExport(exports, 'RawNode', directory) as new (config: RaftConfig) => RaftNode;
  const MemoryStorage = requireExport(exports, 'MemoryStorage', directory) as new (options: {
    confState: ConfState;
  }) => SimulatedDisk;
  const encodeConfChange = requireExport(exports, 'encodeConfChange', directory) as RaftModule['encodeConfChange'];
  const decodeConfChange = requireExport(exports, 'decodeConfChange', directory) as RaftModule['decodeConfChange'];
  return {
    directory,
    createNode: (config) => new RawNode(config),
    createDisk: (confState) => new MemoryStorage({ confState }),
    encodeConfChange,
    decodeConfChange,
  };
}

function requireExport(exports: Record<string, unknown>, name: string, directory: string): unknown {
  const value = exports[name];
  if (typeof value !== 'function') {
    throw new Error(`the Raft core in ${directory} does not export ${name} from index.ts; the simulator needs it`);
  }
  return value;
}
