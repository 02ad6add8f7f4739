// A test kit for nodes in one process (hashicorp/raft's makeCluster, waitForLeader): real
// WAL and MVCC stores in temporary directories, peers on an InMemoryNetwork, fast ticks, and
// cleanup of every node and directory a test created.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memberIdOf } from '../../src/node/identity.js';
import type { MemberAddress, NodeOptions } from '../../src/node/node-options.js';
import { RaftKvNode } from '../../src/node/raft-kv-node.js';
import { InMemoryNetwork } from '../../src/transport/index.js';
import type { MvccResponse, RangeResponse } from '../../src/mvcc/index.js';

export const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');
export const text = (value: Uint8Array): string => Buffer.from(value).toString('utf8');

/** Fast enough for tests, slow enough that two cores shared by many processes keep a leader. */
export const TEST_TICK_MS = 20;

export type NodeOverrides = Partial<Omit<NodeOptions, 'name' | 'dataDir' | 'cluster' | 'transport'>>;

export class TestCluster {
  readonly network = new InMemoryNetwork();
  readonly nodes = new Map<string, RaftKvNode>();
  readonly dataDirs = new Map<string, string>();
  private readonly directories: string[] = [];

  constructor(private readonly overrides: NodeOverrides = {}) {}

  static async start(names: readonly string[], overrides: NodeOverrides = {}): Promise<TestCluster> {
    const cluster = new TestCluster(overrides);
    const initialMembers = names.map((name) => ({ name, peerAddress: `mem://${name}` }));
    await Promise.all(names.map((name) => cluster.open(name, { mode: 'new', initialMembers })));
    return cluster;
  }

  async dataDirOf(name: string): Promise<string> {
    const existing = this.dataDirs.get(name);
    if (existing !== undefined) return existing;
    const directory = await mkdtemp(join(tmpdir(), `bv-node-${name}-`));
    this.directories.push(directory);
    this.dataDirs.set(name, directory);
    return directory;
  }

  async open(name: string, cluster: NodeOptions['cluster'], overrides: NodeOverrides = {}): Promise<RaftKvNode> {
    const transport = this.network.createTransport(memberIdOf(name), `mem://${name}`);
    const node = await RaftKvNode.open({
      name,
      dataDir: await this.dataDirOf(name),
      cluster,
      transport,
      tickMs: TEST_TICK_MS,
      electionTicks: 10,
      heartbeatTicks: 1,
      requestTimeoutMs: 5_000,
      ...this.overrides,
      ...overrides,
    });
    this.nodes.set(name, node);
    return node;
  }

  /** Reopens a stopped member on its data directory with the same initial membership. */
  async restart(name: string, initialMembers: readonly MemberAddress[], overrides: NodeOverrides = {}): Promise<RaftKvNode> {
    return this.open(name, { mode: 'new', initialMembers }, overrides);
  }

  node(name: string): RaftKvNode {
    const node = this.nodes.get(name);
    if (node === undefined) throw new Error(`no node ${name}`);
    return node;
  }

  running(): RaftKvNode[] {
    return [...this.nodes.values()];
  }

  async stop(name: string): Promise<void> {
    const node = this.node(name);
    this.nodes.delete(name);
    await node.close();
  }

  /**
   * Stops `name` as kill -9 would: its loop and ticker stop where they are, writes still
   * waiting for its disk are never made, and its data directory is released so that it can be
   * restarted. This reaches into the node, since no product call drops work on the floor.
   */
  async crash(name: string): Promise<void> {
    const node = this.node(name) as unknown as CrashableNode;
    this.nodes.delete(name);
    clearInterval(node.ticker);
    node.loop.stopped = true;
    node.state = 'closed';
    await node.transport.close();
    await node.parts.storage.mvcc.close();
    await node.parts.storage.database.close();
    await node.parts.lock.release();
  }

  /** Waits until every running node agrees on one leader; returns it. */
  async waitForLeader(timeoutMs = 10_000): Promise<RaftKvNode> {
    return eventually(async () => {
      const statuses = await Promise.all(this.running().map((node) => node.status()));
      const leaderId = statuses[0]?.leaderId ?? 0;
      if (leaderId === 0 || statuses.some((status) => status.leaderId !== leaderId)) throw new Error('no agreed leader yet');
      const leader = this.running().find((node) => node.id === leaderId);
      if (leader === undefined) throw new Error('the agreed leader is not running');
      return leader;
    }, timeoutMs);
  }

  followers(leader: RaftKvNode): RaftKvNode[] {
    return this.running().filter((node) => node !== leader);
  }

  async close(): Promise<void> {
    await Promise.all(this.running().map((node) => node.close()));
    this.nodes.clear();
    await Promise.all(this.directories.map((directory) => rm(directory, { recursive: true, force: true })));
  }
}

/** The parts of a RaftKvNode that `TestCluster.crash` stops without letting them finish. */
interface CrashableNode {
  ticker: NodeJS.Timeout | undefined;
  state: string;
  readonly loop: { stopped: boolean };
  readonly transport: { close(): Promise<void> };
  readonly parts: {
    readonly storage: { readonly mvcc: { close(): Promise<void> }; readonly database: { close(): Promise<void> } };
    readonly lock: { release(): Promise<void> };
  };
}

/** Retries `attempt` until it stops throwing, or rethrows its last error after `timeoutMs`. */
export async function eventually<T>(attempt: () => Promise<T> | T, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

export async function put(node: RaftKvNode, key: string, value: string, lease?: number): Promise<MvccResponse> {
  return node.write({ type: 'put', put: { key: bytes(key), value: bytes(value), ...(lease === undefined ? {} : { lease }) } });
}

export async function get(node: RaftKvNode, key: string, consistency: 'linearizable' | 'serializable' = 'linearizable'): Promise<string | undefined> {
  const response: RangeResponse = await node.range({ key: bytes(key) }, { consistency });
  const kv = response.kvs[0];
  return kv === undefined ? undefined : text(kv.value);
}

/** The node's WAL, reached past its privacy so that a test can stall or watch what it writes. */
export function walOf<Wal>(node: RaftKvNode): Wal {
  return (node as unknown as { parts: { storage: { logStore: { wal: Wal } } } }).parts.storage.logStore.wal;
}
