// The request body of a streamed gateway call (watch, lease keep-alive) is a sequence of JSON
// objects, each one message, written one after another as the client decides to send them,
// with or without whitespace between (as Go's json.Decoder reads them in etcd's gateway). This
// cuts the bytes as they arrive into whole objects, each handed on as soon as its closing
// brace arrives. It scans bytes, not characters: no byte of a multi-byte UTF-8 character is a
// brace, a bracket, a quote or a backslash.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { GatewayError } from './gateway-errors.js';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

export class JsonValueSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  /** `valueBytesMax` bounds one object: a larger one is refused before it is held whole. */
  constructor(private readonly valueBytesMax: number) {}

  /** The objects this chunk completes, as text; throws a GatewayError for anything but objects. */
  push(chunk: Buffer): string[] {
    const complete: string[] = [];
    let start = 0;
    for (let index = 0; index < chunk.length; index++) {
      const byte = chunk[index] as number;
      if (this.depth === 0) {
        if (WHITESPACE.has(byte)) {
          start = index + 1;
          continue;
        }
        if (byte !== OPEN_BRACE) throw new GatewayError(GrpcStatus.INVALID_ARGUMENT, `the body must be a sequence of JSON objects; found ${JSON.stringify(String.fromCharCode(byte))} between them`);
        start = index;
        this.depth = 1;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) this.inString = false;
        continue;
      }
      if (byte === QUOTE) this.inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.depth++;
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) this.depth--;
      if (this.depth === 0) {
        complete.push(this.take(chunk.subarray(start, index + 1)));
        start = index + 1;
      }
    }
    if (this.depth > 0) this.hold(chunk.subarray(start));
    return complete;
  }

  /** Throws when the body ended inside an object. */
  end(): void {
    if (this.depth > 0) throw new GatewayError(GrpcStatus.INVALID_ARGUMENT, 'the body ended inside a JSON object');
  }

  private hold(part: Buffer): void {
    this.pendingBytes += part.length;
    if (this.pendingBytes > this.valueBytesMax) throw new GatewayError(GrpcStatus.RESOURCE_EXHAUSTED, `a message of the body is larger than ${this.valueBytesMax} bytes`);
    this.pending.push(part);
  }

  private take(last: Buffer): string {
    this.hold(last);
    const text = Buffer.concat(this.pending).toString('utf8');
    this.pending = [];
    this.pendingBytes = 0;
    return text;
  }
}
