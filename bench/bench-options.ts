// Command-line values the benchmarks share, checked once so a typo fails before minutes of loading.

/** `text` as a positive integer; the error names the flag and what was given. */
export function positive(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}
