// Little binary writer and reader shared by the request, record and snapshot codecs.
// Integers are unsigned LEB128 varints over the whole safe-integer range (so no BigInt);
// signed values use zigzag. The reader throws a RangeError naming the offset and the field,
// which the callers turn into their own named errors.

const TWO_POW_7 = 128;

export class ByteWriter {
  private buffer: Buffer;
  private length = 0;

  constructor(initialBytes = 256) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  get size(): number {
    return this.length;
  }

  reset(): void {
    this.length = 0;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value;
  }

  uint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not an unsigned safe integer: ${value}`);
    this.ensure(8);
    let rest = value;
    while (rest >= TWO_POW_7) {
      this.buffer[this.length++] = (rest % TWO_POW_7) | 0x80;
      rest = Math.floor(rest / TWO_POW_7);
    }
    this.buffer[this.length++] = rest;
  }

  int(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
    this.uint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  bool(value: boolean | undefined): void {
    this.byte(value === true ? 1 : 0);
  }

  bytes(value: Uint8Array): void {
    this.uint(value.length);
    this.raw(value);
  }

  raw(value: Uint8Array): void {
    this.ensure(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }

  string(value: string): void {
    this.bytes(Buffer.from(value, 'utf8'));
  }

  /** A copy of the bytes written so far; the writer may be reset and reused afterwards. */
  finish(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }

  private ensure(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}

export class ByteReader {
  private offset: number;

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
  ) {
    this.offset = start;
  }

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  byte(field: string): number {
    const value = this.bytes[this.offset];
    if (value === undefined) throw this.truncated(field);
    this.offset++;
    return value;
  }

  uint(field: string): number {
    let result = 0;
    let scale = 1;
    for (let index = 0; index < 8; index++) {
      const byte = this.byte(field);
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) break;
        return result;
      }
      scale *= TWO_POW_7;
    }
    throw new RangeError(`${field}: varint at offset ${this.offset} is not a safe integer`);
  }

  int(field: string): number {
    const zigzag = this.uint(field);
    return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  }

  bool(field: string): boolean {
    const value = this.byte(field);
    if (value > 1) throw new RangeError(`${field}: boolean byte ${value} at offset ${this.offset - 1}`);
    return value === 1;
  }

  bytesField(field: string): Uint8Array {
    return this.raw(this.uint(field), field);
  }

  raw(length: number, field: string): Uint8Array {
    if (length > this.remaining) throw this.truncated(field);
    const value = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  string(field: string): string {
    const bytes = this.bytesField(field);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  }

  expectEnd(what: string): void {
    if (this.remaining !== 0) throw new RangeError(`${this.remaining} unexpected trailing bytes after ${what}`);
  }

  private truncated(field: string): RangeError {
    return new RangeError(`truncated at offset ${this.offset} while reading ${field}`);
  }
}
