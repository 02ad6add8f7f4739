// The faults one seed suffers, chosen from the seed: each kind is switched on or off and given
// its own rate, so that some seeds run almost clean while others are hammered by everything.

import type { SeededRandom } from '../../src/raft/random.js';
import { between, chance, rateOrOff } from './simulation-random.js';

export interface FaultProfile {
  /** Probability that a message is lost in transit. */
  readonly dropRate: number;
  /** Probability that a message is delivered twice. */
  readonly duplicateRate: number;
  /** Probability that a message is held back a few ticks (which also reorders it). */
  readonly delayRate: number;
  readonly delayTicksMax: number;
  /** Per tick, probability that a symmetric partition splits the cluster in two. */
  readonly partitionRate: number;
  /**
   * Probability that a newly elected leader is cut off (or crashed) before its first appends go
   * out: it leaves entries of its term on its own disk only, the material of Figure 8.
   */
  readonly leaderIsolationRate: number;
  /** Per tick, probability that one link is cut in one direction only. */
  readonly oneWayCutRate: number;
  /** How long a partition or a cut link lasts at most. */
  readonly linkFaultTicksMax: number;
  /** Per tick, probability that a running node crashes between two Readys. */
  readonly crashRate: number;
  /** Per Ready, probability that the node crashes part way through processing it. */
  readonly crashInReadyRate: number;
  /** Whether any number of nodes may be down at once; otherwise at most a minority of voters. */
  readonly crashAnyNode: boolean;
  readonly downTicksMax: number;
  /** Per tick rates of the client's and the operator's requests. */
  readonly proposalRate: number;
  readonly readRate: number;
  readonly confChangeRate: number;
  readonly transferRate: number;
  readonly compactionRate: number;
}

export function chooseFaultProfile(random: SeededRandom): FaultProfile {
  const crashes = chance(random, 0.7);
  return {
    dropRate: rateOrOff(random, 0.6, 0.2),
    duplicateRate: rateOrOff(random, 0.4, 0.1),
    delayRate: rateOrOff(random, 0.6, 0.3),
    // Some delays outlast an election timeout, so answers from an earlier term arrive late.
    delayTicksMax: chance(random, 0.3) ? between(random, 13, 45) : between(random, 1, 12),
    partitionRate: rateOrOff(random, 0.6, 0.02),
    leaderIsolationRate: rateOrOff(random, 0.5, 0.5),
    oneWayCutRate: rateOrOff(random, 0.5, 0.02),
    linkFaultTicksMax: between(random, 10, 200),
    crashRate: crashes ? random.nextFloat() * 0.01 : 0,
    crashInReadyRate: crashes ? rateOrOff(random, 0.8, 0.01) : 0,
    crashAnyNode: chance(random, 0.4),
    // Short outages matter: a node that restarts while an election is still running must not
    // vote twice in that term.
    downTicksMax: chance(random, 0.5) ? between(random, 1, 8) : between(random, 10, 150),
    proposalRate: 0.05 + random.nextFloat() * 0.4,
    readRate: rateOrOff(random, 0.7, 0.1),
    confChangeRate: rateOrOff(random, 0.6, 0.02),
    transferRate: rateOrOff(random, 0.6, 0.01),
    compactionRate: rateOrOff(random, 0.8, 0.05),
  };
}
