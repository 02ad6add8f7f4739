// An immutable string-keyed map whose hash is kept up to date on every update, so that a model
// state built on it hashes in constant time for the checker's cache.

/** A 32-bit FNV-1a hash of a string. */
function stringHash(text: string, seed = 0x811c9dc5): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash | 0;
}

/** How a map hashes and compares its values. */
export interface ValueSemantics<Value> {
  /** Text that determines the value, e.g. JSON of its fields in a fixed order. */
  canonical(value: Value): string;
  equal(a: Value, b: Value): boolean;
}

export class HashedMap<Value> {
  private constructor(
    private readonly semantics: ValueSemantics<Value>,
    private readonly entries: ReadonlyMap<string, Value>,
    /** Invariant: the XOR of entryHash over every entry, so independent of insertion order. */
    readonly hash: number,
  ) {}

  static empty<Value>(semantics: ValueSemantics<Value>): HashedMap<Value> {
    return new HashedMap(semantics, new Map(), 0);
  }

  get(key: string): Value | undefined {
    return this.entries.get(key);
  }

  with(key: string, value: Value): HashedMap<Value> {
    const entries = new Map(this.entries);
    entries.set(key, value);
    return new HashedMap(this.semantics, entries, this.hashWithout(key) ^ this.entryHash(key, value));
  }

  without(key: string): HashedMap<Value> {
    if (!this.entries.has(key)) return this;
    const entries = new Map(this.entries);
    entries.delete(key);
    return new HashedMap(this.semantics, entries, this.hashWithout(key));
  }

  equals(other: HashedMap<Value>): boolean {
    if (this.hash !== other.hash || this.entries.size !== other.entries.size) return false;
    for (const [key, value] of this.entries) {
      const otherValue = other.entries.get(key);
      if (otherValue === undefined || !this.semantics.equal(value, otherValue)) return false;
    }
    return true;
  }

  /** Entries sorted by key, so a description does not depend on the order of updates. */
  sortedEntries(): [string, Value][] {
    return [...this.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private hashWithout(key: string): number {
    const old = this.entries.get(key);
    return old === undefined ? this.hash : this.hash ^ this.entryHash(key, old);
  }

  private entryHash(key: string, value: Value): number {
    return stringHash(this.semantics.canonical(value), stringHash(`${key}\u0000`));
  }
}
