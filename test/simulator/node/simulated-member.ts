// One member of the simulated cluster across its incarnations: the disk and the database
// outlive crashes, while each start gets a fresh RaftKvNode whose clock, files and transport
// die with it. A crash abandons the node object without closing it, as a power loss would.

import { Registry } from 'prom-client';
import type { MemberAddress, NodeOptions } from '../../../src/node/node-options.js';
import type { RaftKvNode } from '../../../src/node/raft-kv-node.js';
import { memberIdOf } from '../../../src/node/identity.js';
import type { SeededRandom } from '../../../src/raft/random.js';
import type { NodeId } from '../../../src/raft/types.js';
import type { NodeModule } from './node-module.js';
import { SimulatedDatabase } from './simulated-database.js';
import { SimulatedDisk, type DiskLatency, type UnsyncedFate } from './simulated-disk.js';
import type { SimulatedPeerNetwork } from './simulated-peer-network.js';
import type { VirtualTime } from './virtual-time.js';

/** Node settings in virtual time: short ticks, and snapshots often enough to be exercised. */
export const SIMULATED_NODE_SETTINGS = {
  tickMs: 10,
  electionTicks: 10,
  heartbeatTicks: 1,
  snapshotEntries: 40,
  compactionMarginEntries: 10,
  requestTimeoutMs: 1_000,
} as const;

export interface MemberWorld {
  readonly time: VirtualTime;
  readonly random: SeededRandom;
  readonly network: SimulatedPeerNetwork;
  readonly nodeModule: NodeModule;
  readonly initialMembers: readonly MemberAddress[];
  readonly diskLatency: DiskLatency;
  /** A node stopped on a storage or state-machine failure. */
  readonly onFatal: (member: SimulatedMember, error: unknown) => void;
  /** A node refused to start. */
  readonly onOpenFailed: (member: SimulatedMember, error: unknown) => void;
}

export class SimulatedMember {
  readonly id: NodeId;
  readonly disk: SimulatedDisk;
  private readonly database = new SimulatedDatabase();
  private incarnation = 0;
  // Invariant: set exactly while the current incarnation has opened and not crashed.
  node: RaftKvNode | undefined;
  up = false;

  constructor(
    readonly name: string,
    private readonly world: MemberWorld,
  ) {
    this.id = memberIdOf(name);
    this.disk = new SimulatedDisk(world.time, world.random, world.diskLatency);
  }

  /** Starts a new incarnation; the node serves once its open completes in virtual time. */
  start(): void {
    const incarnation = ++this.incarnation;
    this.up = true;
    const alive = (): boolean => this.up && this.incarnation === incarnation;
    const { world } = this;
    world.nodeModule.open(this.options(alive)).then(
      (node) => {
        if (alive()) this.node = node;
      },
      (error: unknown) => {
        if (alive()) world.onOpenFailed(this, error);
      },
    );
  }

  crash(fate: UnsyncedFate): void {
    this.up = false;
    this.node = undefined;
    this.disk.crash(fate);
  }

  private get dataDir(): string {
    return `/data/${this.name}`;
  }

  private options(alive: () => boolean): NodeOptions {
    const { world } = this;
    const random = world.random;
    return {
      name: this.name,
      dataDir: this.dataDir,
      cluster: { mode: 'new', initialMembers: world.initialMembers },
      transport: world.network.transport(this.id, alive),
      ...SIMULATED_NODE_SETTINGS,
      randomSeed: random.nextUint32(),
      metricsRegistry: new Registry(),
      onFatalError: (error) => {
        if (alive()) world.onFatal(this, error);
      },
      io: {
        clock: world.time.clockFor(alive, 1_700_000_000_000),
        fileSystem: this.disk.fileSystem(alive),
        openDatabase: () => Promise.resolve(this.database),
        lockUntilExit: (directory) => Promise.resolve(this.disk.lockUntilCrash(directory)),
        randomInt: (minimum, maximum) => minimum + Math.floor(random.nextFloat() * (maximum - minimum)),
      },
    };
  }
}
