// The codec's error registry. Each code is stable and never reused. Every decoding failure is
// a CodecError, so a caller (the WAL, the peer transport) can tell malformed bytes from a bug
// and name the input it came from.

export const CodecErrorCode = {
  /** The bytes end before the value does: a short read, or a torn write. */
  Truncated: 'CODEC_TRUNCATED',
  /** The leading version byte names a format this build does not read. */
  UnsupportedVersion: 'CODEC_UNSUPPORTED_VERSION',
  /** A field holds a value no encoder produces (unknown enum, oversized integer, trailing bytes). */
  Malformed: 'CODEC_MALFORMED',
} as const;

export type CodecErrorCode = (typeof CodecErrorCode)[keyof typeof CodecErrorCode];

export class CodecError extends Error {
  override readonly name = 'CodecError';

  constructor(
    readonly code: CodecErrorCode,
    message: string,
    /** The byte offset in the input at which decoding failed. */
    readonly offset: number,
  ) {
    super(message);
  }
}
