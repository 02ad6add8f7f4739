// The in-memory network: every message is delivered at a virtual tick chosen when it is sent.
// Loss, duplication and delay (which reorders) are decided at send time; partitions and cut
// links are checked at delivery time, so that a partition also swallows messages in flight.

import type { SeededRandom } from '../../src/raft/random.js';
import type { Message } from '../../src/raft/types.js';
import type { FaultProfile } from './fault-profile.js';
import { between, chance } from './simulation-random.js';

export interface InFlightMessage {
  readonly message: Message;
  /** The sender's incarnation when it sent; a restarted sender must not get reports for it. */
  readonly senderIncarnation: number;
}

/** Whether one direction of a link carries messages right now. */
export type LinkState = 'open' | 'cut';

export class SimulatedNetwork {
  // Invariant: slots[t % slots.length] holds exactly the messages due at tick t, for every t
  // in [now, now + slots.length).
  private readonly slots: InFlightMessage[][];
  // cutLinks[from * width + to] counts the faults that currently cut that direction.
  private readonly cutLinks: Uint16Array;
  private readonly width: number;

  constructor(
    private readonly random: SeededRandom,
    nodeIdMax: number,
    delayTicksMax: number,
  ) {
    this.slots = Array.from({ length: delayTicksMax + 2 }, () => []);
    this.width = nodeIdMax + 1;
    this.cutLinks = new Uint16Array(this.width * this.width);
  }

  /**
   * Queues `message` for delivery after one tick, or later, twice or never when faults are on.
   * Returns how many copies were queued.
   */
  send(now: number, inFlight: InFlightMessage, faults: FaultProfile | null): number {
    if (faults === null) {
      this.enqueue(now + 1, inFlight);
      return 1;
    }
    if (chance(this.random, faults.dropRate)) return 0;
    const copies = chance(this.random, faults.duplicateRate) ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const delayTicks = chance(this.random, faults.delayRate) ? between(this.random, 1, faults.delayTicksMax) : 0;
      this.enqueue(now + 1 + delayTicks, inFlight);
    }
    return copies;
  }

  /** Removes and returns the messages due at `now`. */
  takeDue(now: number): InFlightMessage[] {
    const index = now % this.slots.length;
    const due = this.slots[index]!;
    if (due.length === 0) return due;
    this.slots[index] = [];
    return due;
  }

  linkState(from: number, to: number): LinkState {
    return this.cutLinks[from * this.width + to]! > 0 ? 'cut' : 'open';
  }

  cut(from: number, to: number): void {
    this.cutLinks[from * this.width + to]! += 1;
  }

  restore(from: number, to: number): void {
    const link = from * this.width + to;
    if (this.cutLinks[link] === 0) throw new Error(`link ${from}->${to} restored more often than it was cut`);
    this.cutLinks[link]! -= 1;
  }

  private enqueue(tick: number, inFlight: InFlightMessage): void {
    this.slots[tick % this.slots.length]!.push(inFlight);
  }
}
