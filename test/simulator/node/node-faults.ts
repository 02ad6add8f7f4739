// The faults of a node simulation, each drawn from the run's one SeededRandom: crashes (a
// minority at a time, with the unsynced tail lost, torn or damaged), partitions that isolate
// one member, disk stalls that hold every fsync of one member, and the combination that
// exposes a leader counting an entry it has not yet made durable: the leader's disk stalls, a
// follower is cut off, and the leader crashes before its fsync completes.

import type { SeededRandom } from '../../../src/raft/random.js';
import type { NodeId } from '../../../src/raft/types.js';
import { between, chance, pick } from '../simulation-random.js';
import type { UnsyncedFate } from './simulated-disk.js';
import type { SimulatedMember } from './simulated-member.js';
import type { SimulatedPeerNetwork } from './simulated-peer-network.js';
import type { VirtualTime } from './virtual-time.js';

export interface FaultCounts {
  crashes: number;
  partitions: number;
  diskStalls: number;
  leaderStallCrashes: number;
  /** Crash-and-restart bursts during the election after a leader crash. */
  electionCrashes: number;
  /** Every member crashed at once (then all restart from their disks). */
  crashesOfAll: number;
  tornTails: number;
}

const FAULT_GAP_MS_MIN = 50;
const FAULT_GAP_MS_MAX = 400;
const OUTAGE_MS_MIN = 50;
const OUTAGE_MS_MAX = 1_200;
/** A quick restart lands inside the election its crash may have started, with what the disk kept. */
const QUICK_RESTART_MS_MAX = 30;
const QUICK_RESTART_PROBABILITY = 0.3;
/** An election after a leader crash ends within a few election timeouts of the simulated nodes. */
const ELECTION_WINDOW_MS = 400;
const ELECTION_CRASHES_MAX = 3;
const FATES: readonly UnsyncedFate[] = ['lost', 'torn', 'damaged'];

export class FaultInjector {
  readonly counts: FaultCounts = { crashes: 0, partitions: 0, diskStalls: 0, leaderStallCrashes: 0, electionCrashes: 0, crashesOfAll: 0, tornTails: 0 };
  private partitioned = false;
  /** Counts partitions, so that a partition's timer heals only that partition. */
  private partitionGeneration = 0;

  constructor(
    private readonly time: VirtualTime,
    private readonly random: SeededRandom,
    private readonly network: SimulatedPeerNetwork,
    private readonly members: readonly SimulatedMember[],
    private readonly trace: (line: string) => void,
  ) {}

  /** Injects faults until `untilMs`. */
  async run(untilMs: number): Promise<void> {
    while (this.time.nowMs < untilMs) {
      await this.time.sleep(between(this.random, FAULT_GAP_MS_MIN, FAULT_GAP_MS_MAX));
      if (this.time.nowMs >= untilMs) return;
      const roll = this.random.nextInt(6);
      if (roll === 0) this.crashOne();
      else if (roll === 1) this.isolateOne();
      else if (roll === 2) this.stallOne();
      else if (roll === 3) this.leaderStallCrash();
      else if (roll === 4) this.crashesDuringElection();
    }
  }

  /** Heals the network and restarts every member that is down. */
  healAll(): void {
    this.heal();
    for (const member of this.members) if (!member.up) this.restart(member);
  }

  /** Crashes every member at once, then starts them all again: what survives is what was durable. */
  crashAll(): void {
    this.counts.crashesOfAll++;
    for (const member of this.members) if (member.up) this.crash(member);
    for (const member of this.members) this.restart(member);
  }

  private crashOne(): void {
    const down = this.members.filter((member) => !member.up).length;
    const candidates = this.members.filter((member) => member.up);
    if (candidates.length === 0 || 2 * (down + 1) >= this.members.length + 1) return;
    const member = pick(this.random, candidates);
    this.crash(member);
    const outageMs = chance(this.random, QUICK_RESTART_PROBABILITY) ? between(this.random, 1, QUICK_RESTART_MS_MAX) : between(this.random, OUTAGE_MS_MIN, OUTAGE_MS_MAX);
    void this.time.sleep(outageMs).then(() => this.restart(member));
  }

  private isolateOne(): void {
    if (this.partitioned) return;
    this.isolate(pick(this.random, this.members).id, between(this.random, OUTAGE_MS_MIN, OUTAGE_MS_MAX));
  }

  private stallOne(): void {
    const member = pick(this.random, this.members);
    const durationMs = between(this.random, OUTAGE_MS_MIN, OUTAGE_MS_MAX);
    member.disk.stall(this.time.nowMs + durationMs);
    this.counts.diskStalls++;
    this.trace(`${this.time.nowMs} stall ${member.name} disk for ${durationMs} ms`);
  }

  /** The leader's fsyncs stall, a follower is cut off, and the leader crashes while its writes wait. */
  private leaderStallCrash(): void {
    const leader = this.currentLeader();
    const down = this.members.some((member) => !member.up);
    if (leader === undefined || down || this.partitioned) return;
    const followers = this.members.filter((member) => member !== leader);
    const stallMs = between(this.random, 300, 1_000);
    leader.disk.stall(this.time.nowMs + stallMs);
    this.counts.diskStalls++;
    this.counts.leaderStallCrashes++;
    this.trace(`${this.time.nowMs} stall leader ${leader.name} disk for ${stallMs} ms`);
    this.isolate(pick(this.random, followers).id, stallMs);
    void this.time.sleep(between(this.random, 50, stallMs - 50)).then(() => {
      if (!leader.up) return;
      this.crash(leader, 'lost');
      this.heal();
      void this.time.sleep(between(this.random, 0, 100)).then(() => this.restart(leader));
    });
  }

  /**
   * The leader crashes and comes straight back, and members crash and come straight back while
   * the election that follows runs: a vote granted before a crash must hold after it.
   */
  private crashesDuringElection(): void {
    const leader = this.currentLeader();
    if (leader === undefined || this.members.some((member) => !member.up)) return;
    this.counts.electionCrashes++;
    this.crash(leader);
    void this.time.sleep(between(this.random, 1, QUICK_RESTART_MS_MAX)).then(() => this.restart(leader));
    for (let i = 0; i < ELECTION_CRASHES_MAX; i++) {
      void this.time.sleep(between(this.random, QUICK_RESTART_MS_MAX, ELECTION_WINDOW_MS)).then(() => {
        const member = pick(this.random, this.members);
        if (!member.up || this.members.some((other) => !other.up)) return;
        this.crash(member);
        void this.time.sleep(between(this.random, 1, QUICK_RESTART_MS_MAX)).then(() => this.restart(member));
      });
    }
  }

  private currentLeader(): SimulatedMember | undefined {
    const leaderIds = new Set<NodeId>();
    for (const member of this.members) if (member.node !== undefined) leaderIds.add(member.node.position().leaderId);
    const [leaderId] = leaderIds;
    return leaderIds.size === 1 ? this.members.find((member) => member.id === leaderId && member.node !== undefined) : undefined;
  }

  private crash(member: SimulatedMember, fate: UnsyncedFate = pick(this.random, FATES)): void {
    member.crash(fate);
    this.counts.crashes++;
    if (fate !== 'lost') this.counts.tornTails++;
    this.trace(`${this.time.nowMs} crash ${member.name} (unsynced tail ${fate})`);
  }

  private restart(member: SimulatedMember): void {
    if (member.up) return;
    this.trace(`${this.time.nowMs} restart ${member.name}`);
    member.start();
  }

  private isolate(id: NodeId, durationMs: number): void {
    const others = this.members.map((member) => member.id);
    this.network.isolate(id, others);
    this.partitioned = true;
    const generation = ++this.partitionGeneration;
    this.counts.partitions++;
    this.trace(`${this.time.nowMs} isolate ${this.members.find((member) => member.id === id)!.name} for ${durationMs} ms`);
    void this.time.sleep(durationMs).then(() => {
      if (this.partitionGeneration === generation) this.heal();
    });
  }

  private heal(): void {
    if (!this.partitioned) return;
    this.partitioned = false;
    this.network.heal();
    this.trace(`${this.time.nowMs} heal the network`);
  }
}
