// Reads what BinaryWriter wrote. Every read checks the remaining length first and throws a
// CodecError naming the field and the byte offset, so malformed input never yields a
// half-decoded value or an out-of-range read.

import { CodecError, CodecErrorCode } from './errors.js';

const VARINT_BYTES_MAX = 8;
const SEVEN_BITS = 0x80;

export class BinaryReader {
  // Invariant: 0 <= offset <= bytes.byteLength.
  private offset = 0;

  constructor(private readonly input: Uint8Array) {}

  get position(): number {
    return this.offset;
  }

  byte(field: string): number {
    this.need(1, field);
    return this.input[this.offset++]!;
  }

  boolean(field: string): boolean {
    const start = this.offset;
    const value = this.byte(field);
    if (value > 1) throw malformed(`${field} is ${value}, expected 0 or 1`, start);
    return value === 1;
  }

  varint(field: string): number {
    const start = this.offset;
    let value = 0;
    let scale = 1;
    for (let count = 0; count < VARINT_BYTES_MAX; count++) {
      const byte = this.byte(field);
      value += (byte & 0x7f) * scale;
      if (byte < SEVEN_BITS) {
        if (!Number.isSafeInteger(value)) throw malformed(`${field} exceeds the safe integer range`, start);
        return value;
      }
      scale *= SEVEN_BITS;
    }
    throw malformed(`${field} is a varint longer than ${VARINT_BYTES_MAX} bytes`, start);
  }

  /**
   * A length-prefixed byte string, copied so that it does not pin the input buffer. The copy
   * is made by the Uint8Array constructor: a Node Buffer's slice returns a view, and
   * Uint8Array's slice called on a Buffer returns a Buffer.
   */
  bytes(field: string): Uint8Array {
    const length = this.varint(`the length of ${field}`);
    this.need(length, field);
    const value = new Uint8Array(this.input.subarray(this.offset, this.offset + length));
    this.offset += length;
    return value;
  }

  /** Throws unless every input byte was consumed: trailing bytes mean a framing mistake. */
  expectEnd(what: string): void {
    const extra = this.input.byteLength - this.offset;
    if (extra !== 0) throw malformed(`${extra} unexpected bytes after ${what}`, this.offset);
  }

  private need(length: number, field: string): void {
    if (this.offset + length > this.input.byteLength) {
      throw new CodecError(
        CodecErrorCode.Truncated,
        `truncated input: ${field} needs ${length} bytes at offset ${this.offset}, ` +
          `only ${this.input.byteLength - this.offset} remain`,
        this.offset,
      );
    }
  }
}

export function malformed(reason: string, offset: number): CodecError {
  return new CodecError(CodecErrorCode.Malformed, `malformed input at offset ${offset}: ${reason}`, offset);
}
