// Choices drawn from the run's seeded generator, so that a seed replays the same faults.

/** One of `candidates`, or undefined when there are none. */
export function pick<T>(random: () => number, candidates: readonly T[]): T | undefined {
  return candidates[Math.floor(random() * candidates.length)];
}

/** A new array with `items` in random order (Fisher–Yates). */
export function shuffled<T>(random: () => number, items: readonly T[]): T[] {
  const result = [...items];
  for (let index = result.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [result[index], result[other]] = [result[other] as T, result[index] as T];
  }
  return result;
}

/** An integer in [minimum, maximum], both included. */
export function between(random: () => number, minimum: number, maximum: number): number {
  return minimum + Math.floor(random() * (maximum - minimum + 1));
}
