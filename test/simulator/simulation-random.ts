// Small helpers over the run's one SeededRandom, so that every decision of a run comes from
// its seed and a seed replays exactly.

import type { SeededRandom } from '../../src/raft/random.js';

export function chance(random: SeededRandom, probability: number): boolean {
  return probability > 0 && random.nextFloat() < probability;
}

/** An integer in [minimum, maximum], both inclusive. */
export function between(random: SeededRandom, minimum: number, maximum: number): number {
  return minimum + random.nextInt(maximum - minimum + 1);
}

export function pick<T>(random: SeededRandom, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick needs at least one item');
  return items[random.nextInt(items.length)]!;
}

/** A rate in [0, maximum), or 0 when the fault is switched off for this seed. */
export function rateOrOff(random: SeededRandom, enabledProbability: number, maximum: number): number {
  return chance(random, enabledProbability) ? random.nextFloat() * maximum : 0;
}
