// An append-only byte buffer for the Raft codec. Integers are unsigned LEB128 varints over the
// whole safe-integer range (small values, which Raft indexes and ids mostly are, take one or
// two bytes), so no BigInt is needed. The buffer doubles when full, so encoding a batch costs
// a handful of allocations, not one per field.

const VARINT_BYTES_MAX = 8;
const SEVEN_BITS = 0x80;

export class BinaryWriter {
  private buffer: Uint8Array;
  // Invariant: 0 <= length <= buffer.byteLength; bytes past length are scratch.
  private length = 0;

  constructor(initialBytes = 256) {
    this.buffer = new Uint8Array(Math.max(16, initialBytes));
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  boolean(value: boolean): void {
    this.byte(value ? 1 : 0);
  }

  /** Writes a non-negative safe integer; anything else is a programmer error and throws. */
  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`cannot encode ${value}: only non-negative safe integers are encoded`);
    }
    this.reserve(VARINT_BYTES_MAX);
    let rest = value;
    // Bit operations are only exact below 2^31, so larger values divide instead.
    while (rest >= 0x8000_0000) {
      this.buffer[this.length++] = (rest % SEVEN_BITS) | SEVEN_BITS;
      rest = Math.floor(rest / SEVEN_BITS);
    }
    while (rest >= SEVEN_BITS) {
      this.buffer[this.length++] = (rest & 0x7f) | SEVEN_BITS;
      rest >>>= 7;
    }
    this.buffer[this.length++] = rest;
  }

  /** Writes a length-prefixed byte string. */
  bytes(value: Uint8Array): void {
    this.varint(value.byteLength);
    this.reserve(value.byteLength);
    this.buffer.set(value, this.length);
    this.length += value.byteLength;
  }

  /** The bytes written so far, as a view that is valid until the next write. */
  view(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /**
   * The bytes written so far; the writer must not be used afterwards. When the buffer is at
   * least three quarters full (callers size it from an estimate), this is a view of it rather
   * than a copy: a large message or batch is then not copied once more only to trim its tail.
   */
  finish(): Uint8Array {
    if (this.length * 4 >= this.buffer.byteLength * 3) return this.buffer.subarray(0, this.length);
    return this.buffer.slice(0, this.length);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.byteLength) return;
    let capacity = this.buffer.byteLength * 2;
    while (capacity < this.length + bytes) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}
