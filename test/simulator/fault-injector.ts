// Injects the faults of a seed's profile as time passes: symmetric partitions, one-way link
// cuts, and crashes with restarts after a random outage. heal() undoes all of them at once.

import type { Cluster } from './cluster.js';
import type { FaultProfile } from './fault-profile.js';
import type { SimulatedNode } from './simulated-node.js';
import { between, chance, pick } from './simulation-random.js';

interface LinkFault {
  /** Directed links [from, to] that this fault cuts. */
  readonly links: readonly (readonly [number, number])[];
  readonly endTick: number;
}

export class FaultInjector {
  private linkFaults: LinkFault[] = [];

  constructor(private readonly cluster: Cluster) {}

  inject(faults: FaultProfile): void {
    this.restartDueNodes();
    this.endExpiredLinkFaults();
    for (const leader of this.cluster.leadersToIsolate.splice(0)) this.isolateLeader(leader, faults);
    const random = this.cluster.random;
    if (chance(random, faults.partitionRate)) this.partition(faults);
    if (chance(random, faults.oneWayCutRate)) this.cutOneWay(faults);
    if (chance(random, faults.crashRate)) this.crashRandomNode();
  }

  /** Ends every fault: links are restored and every node that is down restarts now. */
  heal(): void {
    for (const fault of this.linkFaults) this.restoreLinks(fault);
    this.linkFaults = [];
    for (const node of this.cluster.nodes) {
      if (!node.running() && !node.removed) this.cluster.start(node);
    }
  }

  private restartDueNodes(): void {
    for (const node of this.cluster.nodes) {
      if (!node.running() && !node.removed && node.restartTick <= this.cluster.tick) this.cluster.start(node);
    }
  }

  private endExpiredLinkFaults(): void {
    const tick = this.cluster.tick;
    for (const fault of this.linkFaults) if (fault.endTick <= tick) this.restoreLinks(fault);
    this.linkFaults = this.linkFaults.filter((fault) => fault.endTick > tick);
  }

  /** Splits the nodes into two non-empty sides that cannot reach each other. */
  private partition(faults: FaultProfile): void {
    const { cluster } = this;
    const ids = cluster.nodes.map((node) => node.id);
    const sides = ids.map(() => chance(cluster.random, 0.5));
    if (sides.every(Boolean) || !sides.some(Boolean)) sides[cluster.random.nextInt(sides.length)] = !sides[0];
    const links: [number, number][] = [];
    for (let a = 0; a < ids.length; a++) {
      for (let b = 0; b < ids.length; b++) if (sides[a] !== sides[b]) links.push([ids[a]!, ids[b]!]);
    }
    this.addLinkFault(links, faults);
    cluster.stats.partitions += 1;
    const side = ids.filter((_, index) => sides[index]);
    cluster.trace?.(`t=${cluster.tick} partition {${side.join(',')}} | {${ids.filter((id) => !side.includes(id)).join(',')}}`);
  }

  private cutOneWay(faults: FaultProfile): void {
    const { cluster } = this;
    const from = pick(cluster.random, cluster.nodes).id;
    const to = pick(cluster.random, cluster.nodes.filter((node) => node.id !== from)).id;
    this.addLinkFault([[from, to]], faults);
    cluster.stats.oneWayCuts += 1;
    cluster.trace?.(`t=${cluster.tick} cut the link n${from}->n${to} one way`);
  }

  /** Cuts a new leader off from everyone (or crashes it) before its first messages arrive. */
  private isolateLeader(leader: SimulatedNode, faults: FaultProfile): void {
    const { cluster } = this;
    if (!leader.running()) return;
    if (chance(cluster.random, 0.3) && cluster.mayCrash(leader)) {
      cluster.crash(leader, 'right after it became leader');
      return;
    }
    const links: [number, number][] = [];
    for (const node of cluster.nodes) {
      if (node.id !== leader.id) links.push([leader.id, node.id], [node.id, leader.id]);
    }
    this.addLinkFault(links, faults);
    cluster.stats.partitions += 1;
    cluster.trace?.(`t=${cluster.tick} isolate the new leader n${leader.id}`);
  }

  private crashRandomNode(): void {
    const candidates = this.cluster.nodes.filter((node) => node.running() && this.cluster.mayCrash(node));
    if (candidates.length > 0) this.cluster.crash(pick(this.cluster.random, candidates), 'between Readys');
  }

  private addLinkFault(links: [number, number][], faults: FaultProfile): void {
    for (const [from, to] of links) this.cluster.network.cut(from, to);
    this.linkFaults.push({ links, endTick: this.cluster.tick + between(this.cluster.random, 1, faults.linkFaultTicksMax) });
  }

  private restoreLinks(fault: LinkFault): void {
    for (const [from, to] of fault.links) this.cluster.network.restore(from, to);
  }
}
