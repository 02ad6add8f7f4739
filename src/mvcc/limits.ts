// The configurable size limits and the store's own bounds. They are part of the replicated
// semantics (apply rejects what exceeds them), so every member of a group must use the same
// values; they are validated once and frozen.

export interface MvccLimits {
  readonly keyBytesMax: number;
  readonly valueBytesMax: number;
  /** Per list (compares, success, failure) at every nesting level, as etcd counts them. */
  readonly txnOperationsMax: number;
  readonly requestBytesMax: number;
  readonly leaseTtlSecondsMax: number;
  /** Shorter TTLs are raised to this, as etcd's lessor does with its minimum TTL. */
  readonly leaseTtlSecondsMin: number;
}

export const DEFAULT_LIMITS: MvccLimits = Object.freeze({
  keyBytesMax: 1024,
  valueBytesMax: 16 * 1024 * 1024,
  txnOperationsMax: 128,
  requestBytesMax: 32 * 1024 * 1024,
  leaseTtlSecondsMax: 9_000_000_000,
  leaseTtlSecondsMin: 1,
});

/** One problem for each limit that is not a positive safe integer. */
export function positiveIntegerProblems(limits: Readonly<Record<string, number>>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) problems.push(`${name} must be a positive integer (got ${value})`);
  }
  return problems;
}

export function resolveLimits(overrides: Partial<MvccLimits> = {}): MvccLimits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  const problems = positiveIntegerProblems({ ...limits });
  if (limits.keyBytesMax > limits.requestBytesMax) problems.push('keyBytesMax must not exceed requestBytesMax');
  if (limits.leaseTtlSecondsMin > limits.leaseTtlSecondsMax) {
    problems.push('leaseTtlSecondsMin must not exceed leaseTtlSecondsMax');
  }
  if (problems.length > 0) throw new RangeError(`invalid MVCC limits: ${problems.join('; ')}`);
  return Object.freeze(limits);
}
