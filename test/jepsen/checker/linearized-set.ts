// The set of operations linearized so far on the current search path, with a hash kept up to
// date on every change so that looking a (set, state) pair up in the cache costs no copy.

/** A 32-bit hash of one operation index (murmur3's finalizer): the set's hash is their XOR. */
function indexHash(index: number): number {
  let h = Math.imul(index + 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

const BITS_PER_WORD = 32;

/** A frozen copy of a set, as kept in the cache. */
export interface LinearizedSetSnapshot {
  readonly words: Uint32Array;
  readonly hash: number;
}

export class LinearizedSet {
  private readonly words: Uint32Array;
  /** Invariant: the XOR of indexHash(i) over every member i (Zobrist hashing). */
  private currentHash = 0;

  constructor(operationCount: number) {
    this.words = new Uint32Array(Math.ceil(operationCount / BITS_PER_WORD));
  }

  get hash(): number {
    return this.currentHash;
  }

  add(index: number): void {
    if (this.has(index)) throw new Error(`operation ${index} is already linearized`);
    this.toggle(index);
  }

  remove(index: number): void {
    if (!this.has(index)) throw new Error(`operation ${index} is not linearized`);
    this.toggle(index);
  }

  has(index: number): boolean {
    const word = this.words[index >>> 5] ?? 0;
    return (word & (1 << (index & 31))) !== 0;
  }

  snapshot(): LinearizedSetSnapshot {
    return { words: this.words.slice(), hash: this.currentHash };
  }

  equals(snapshot: LinearizedSetSnapshot): boolean {
    if (snapshot.hash !== this.currentHash) return false;
    for (let i = 0; i < this.words.length; i++) {
      if (this.words[i] !== snapshot.words[i]) return false;
    }
    return true;
  }

  private toggle(index: number): void {
    const wordIndex = index >>> 5;
    this.words[wordIndex] = (this.words[wordIndex] ?? 0) ^ (1 << (index & 31));
    this.currentHash ^= indexHash(index);
  }
}
