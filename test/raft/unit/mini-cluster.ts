// A tiny in-test message pump for RawNode smoke tests: it processes every Ready in the
// contract's order (persist, send, apply, advance) and delivers messages until nothing moves.
// The full scenario harness is test/raft/harness.ts; this one only lets the core's owner
// check their own work without depending on it.

import { decodeConfChange } from '../../../src/raft/confchange-codec.js';
import { defaultConfig } from '../../../src/raft/config.js';
import type { RaftConfigInput } from '../../../src/raft/config.js';
import { MemoryStorage } from '../../../src/raft/memory-storage.js';
import { SeededRandom } from '../../../src/raft/random.js';
import { RawNode } from '../../../src/raft/raw-node.js';
import type { ConfState, Entry, Message, NodeId, ReadState } from '../../../src/raft/types.js';
import { EMPTY_CONF_STATE, EntryType, StateType, nodeId } from '../../../src/raft/types.js';

export interface MiniNode {
  node: RawNode;
  readonly storage: MemoryStorage;
  readonly applied: Entry[];
  readonly readStates: ReadState[];
}

export type Settings = Partial<Omit<RaftConfigInput, 'id' | 'storage' | 'random'>>;

const PUMP_ROUNDS_MAX = 1000;

export class MiniCluster {
  readonly members = new Map<NodeId, MiniNode>();
  /** Messages matching this are lost in the network. */
  dropWhen: (m: Message) => boolean = () => false;
  readonly delivered: Message[] = [];

  /**
   * Voters get ids 1..voters. The membership is given to storage as its initial ConfState, or,
   * with `bootstrap`, written by every member as the ConfChange entry at index 1.
   */
  constructor(
    voters: number,
    readonly settings: Settings = {},
    learners: readonly number[] = [],
    bootstrap = false,
  ) {
    const confState: ConfState = {
      ...EMPTY_CONF_STATE,
      voters: Array.from({ length: voters }, (_, i) => nodeId(i + 1)),
      learners: learners.map(nodeId),
    };
    for (const id of [...confState.voters, ...confState.learners]) {
      if (!bootstrap) {
        this.start(id, new MemoryStorage({ confState }));
        continue;
      }
      this.start(id).node.bootstrap(confState.voters);
    }
    if (bootstrap) this.pump();
  }

  /** Starts a node with an empty store, as one that joins after the cluster was formed. */
  start(id: NodeId, storage: MemoryStorage = new MemoryStorage()): MiniNode {
    const node = new RawNode(defaultConfig({ id, storage, random: new SeededRandom(id), ...this.settings }));
    const member = { node, storage, applied: [], readStates: [] };
    this.members.set(id, member);
    return member;
  }

  get(id: number): MiniNode {
    const member = this.members.get(nodeId(id));
    if (member === undefined) throw new Error(`no node ${id}`);
    return member;
  }

  pump(): void {
    for (let round = 0; round < PUMP_ROUNDS_MAX; round++) {
      const inFlight: Message[] = [];
      for (const member of this.members.values()) this.processReady(member, inFlight);
      if (inFlight.length === 0) return;
      for (const m of inFlight) {
        if (this.dropWhen(m)) continue;
        this.delivered.push(m);
        this.members.get(m.to)?.node.step(m);
      }
    }
    throw new Error('the cluster did not quiesce');
  }

  private processReady(member: MiniNode, inFlight: Message[]): void {
    if (!member.node.hasReady()) return;
    const ready = member.node.ready();
    if (ready.snapshot !== null) member.storage.applySnapshot(ready.snapshot);
    member.storage.append(ready.entries);
    if (ready.hardState !== null) member.storage.setHardState(ready.hardState);
    inFlight.push(...ready.messages, ...ready.messagesAfterPersist);
    for (const entry of ready.committedEntries) {
      if (entry.type === EntryType.ConfChange) member.node.applyConfChange(decodeConfChange(entry.data));
      member.applied.push(entry);
    }
    member.readStates.push(...ready.readStates);
    member.node.advance(ready);
  }

  tick(count: number): void {
    for (let i = 0; i < count; i++) {
      for (const member of this.members.values()) member.node.tick();
      this.pump();
    }
  }

  leaders(): number[] {
    const ids: number[] = [];
    for (const [id, member] of this.members) if (member.node.status().softState.state === StateType.Leader) ids.push(id);
    return ids;
  }

  elect(id: number): void {
    this.get(id).node.campaign();
    this.pump();
    if (!this.leaders().includes(id)) throw new Error(`node ${id} did not win`);
  }
}

export const text = (value: string): Uint8Array => new TextEncoder().encode(value);

/** The data of the applied Normal entries that are not no-ops. */
export function appliedTexts(member: MiniNode): string[] {
  return member.applied
    .filter((e) => e.type === EntryType.Normal && e.data.byteLength > 0)
    .map((e) => new TextDecoder().decode(e.data));
}
