// Requests encoded once and then only re-keyed: each client owns one buffer per request kind,
// encoded by the generated etcd messages, and before each call writes a fresh random key into
// the key's bytes in place. Keys have a fixed length, so no length prefix changes. A client
// has one request in flight, and grpc-js has framed (copied) a message long before its
// response can arrive, so overwriting the buffer for the next call is safe.
import { KVService, PutRequest, RangeRequest, TxnRequest } from '../generated/etcd/etcdserverpb/rpc.js';

export interface UnaryMethod {
  readonly path: string;
  readonly template: Buffer;
}

const ASCII_ZERO = 0x30;

/** Zero-padded decimal keys of a fixed size, e.g. 00004711 for size 8. */
export function keyBytes(index: number, keySizeBytes: number): Buffer {
  const key = Buffer.alloc(keySizeBytes, ASCII_ZERO);
  writeKey(key, 0, keySizeBytes, index);
  return key;
}

/** Writes `index` as zero-padded decimal into buffer[offset, offset + keySizeBytes). */
export function writeKey(buffer: Buffer, offset: number, keySizeBytes: number, index: number): void {
  let rest = index;
  for (let position = offset + keySizeBytes - 1; position >= offset; position--) {
    buffer[position] = ASCII_ZERO + (rest % 10);
    rest = Math.floor(rest / 10);
  }
}

/** A request buffer of its own for one client, with where its key starts. */
export class KeyedRequest {
  readonly buffer: Buffer;
  readonly keyOffset: number;

  constructor(
    readonly method: UnaryMethod,
    private readonly keySizeBytes: number,
  ) {
    this.buffer = Buffer.from(method.template);
    // The key is the first field of every template (the put inside a txn included), so its
    // placeholder, all zeros, is found first even if the random value happens to repeat it.
    this.keyOffset = this.buffer.indexOf(keyBytes(0, keySizeBytes));
    if (this.keyOffset < 0) throw new Error(`${method.path}: the key placeholder is missing from the encoded request`);
  }

  /** The buffer, now asking for key number `index`. */
  withKey(index: number): Buffer {
    writeKey(this.buffer, this.keyOffset, this.keySizeBytes, index);
    return this.buffer;
  }
}

export interface RequestShape {
  readonly keySizeBytes: number;
  readonly value: Buffer;
  readonly serializable: boolean;
}

export function putMethod(shape: RequestShape): UnaryMethod {
  const request = PutRequest.fromPartial({ key: keyBytes(0, shape.keySizeBytes), value: shape.value });
  return { path: KVService.put.path, template: Buffer.from(PutRequest.encode(request).finish()) };
}

export function rangeMethod(shape: RequestShape): UnaryMethod {
  const request = RangeRequest.fromPartial({ key: keyBytes(0, shape.keySizeBytes), serializable: shape.serializable });
  return { path: KVService.range.path, template: Buffer.from(RangeRequest.encode(request).finish()) };
}

export function txnPutMethod(shape: RequestShape): UnaryMethod {
  const put = PutRequest.fromPartial({ key: keyBytes(0, shape.keySizeBytes), value: shape.value });
  const request = TxnRequest.fromPartial({ success: [{ requestPut: put }] });
  return { path: KVService.txn.path, template: Buffer.from(TxnRequest.encode(request).finish()) };
}
