// "Did you mean ...?" for a misspelled name: the valid name at the smallest edit distance,
// if it is close enough to be what the writer meant rather than a different word.

/**
 * The optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbouring characters each cost 1, so `if_version_macth` is one edit from `if_version_match`.
 */
export function editDistance(from: string, to: string): number {
  const columns = to.length + 1;
  // distances[row * columns + column]: the distance between from[0, row) and to[0, column).
  const distances = new Array<number>((from.length + 1) * columns).fill(0);
  const at = (row: number, column: number): number => distances[row * columns + column] ?? 0;
  for (let row = 0; row <= from.length; row++) {
    for (let column = 0; column <= to.length; column++) {
      let best: number;
      if (row === 0 || column === 0) best = row + column;
      else {
        const substitution = from[row - 1] === to[column - 1] ? 0 : 1;
        best = Math.min(at(row - 1, column) + 1, at(row, column - 1) + 1, at(row - 1, column - 1) + substitution);
        const swapped = row > 1 && column > 1 && from[row - 1] === to[column - 2] && from[row - 2] === to[column - 1];
        if (swapped) best = Math.min(best, at(row - 2, column - 2) + 1);
      }
      distances[row * columns + column] = best;
    }
  }
  return at(from.length, to.length);
}

/**
 * The candidate closest to `name` ignoring case, or undefined when none is within a third of
 * its length (at least one edit): `x` is no typo of `to`, but `sucess` is one of `success`.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const lowered = name.toLowerCase();
  let closest: string | undefined;
  let closestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(lowered, candidate.toLowerCase());
    if (distance < closestDistance) {
      closest = candidate;
      closestDistance = distance;
    }
  }
  return closestDistance <= Math.max(1, Math.floor(name.length / 3)) ? closest : undefined;
}
