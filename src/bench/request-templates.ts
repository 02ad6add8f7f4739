// Requests encoded once and then only re-keyed: each client owns one buffer per request kind,
// encoded by the generated etcd messages, and before each call writes fresh keys into the
// keys' bytes in place. Keys have a fixed length, so no length prefix changes. A client has
// one request in flight, and grpc-js has framed (copied) a message long before its response
// can arrive, so overwriting the buffer for the next call is safe.
import { KVService, PutRequest, RangeRequest, TxnRequest } from '../generated/etcd/etcdserverpb/rpc.js';

export interface RequestShape {
  readonly keySizeBytes: number;
  readonly value: Buffer;
  readonly serializable: boolean;
  /** Puts in one txn-put transaction. */
  readonly txnOperations: number;
  /** Keys one range reads; above 1 the range has an end, `rangeKeys` keys after its start. */
  readonly rangeKeys: number;
}

export interface UnaryMethod {
  readonly path: string;
  readonly keySizeBytes: number;
  /** Key number `slot` of the request is the first key plus slot × keyStride. */
  readonly keyStride: number;
  /** The request with every key it holds set to `placeholder`. */
  encode(placeholder: Buffer): Buffer;
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

/** A request buffer of its own for one client, and where each of its keys starts. */
export class KeyedRequest {
  readonly buffer: Buffer;
  /** Invariant: ascending, one per key in the request, each keySizeBytes long. */
  readonly keyOffsets: readonly number[];

  constructor(readonly method: UnaryMethod) {
    const size = method.keySizeBytes;
    this.buffer = method.encode(Buffer.alloc(size, '0'));
    // The bytes that change with the placeholder are exactly the keys' bytes, wherever the
    // encoding put them; a value or a length byte that looks like a key cannot confuse this.
    const other = method.encode(Buffer.alloc(size, '1'));
    const offsets: number[] = [];
    for (let position = 0; position < this.buffer.length; position++) {
      if (this.buffer[position] !== other[position]) {
        offsets.push(position);
        position += size - 1;
      }
    }
    if (offsets.length === 0 || other.length !== this.buffer.length) throw new Error(`${method.path}: the keys could not be located in the encoded request`);
    this.keyOffsets = offsets;
  }

  /** Sets key number `slot` of the request to key number `index`. */
  setKey(slot: number, index: number): void {
    writeKey(this.buffer, this.keyOffsets[slot] as number, this.method.keySizeBytes, index);
  }
}

export function putMethod(shape: RequestShape): UnaryMethod {
  return { path: KVService.put.path, keySizeBytes: shape.keySizeBytes, keyStride: 1, encode: (key) => Buffer.from(PutRequest.encode(PutRequest.fromPartial({ key, value: shape.value })).finish()) };
}

/** A point read, or with rangeKeys above 1 a range [key, key + rangeKeys): its end is the second key. */
export function rangeMethod(shape: RequestShape): UnaryMethod {
  const encode = (key: Buffer): Buffer => {
    const request = shape.rangeKeys > 1 ? { key, rangeEnd: key, serializable: shape.serializable } : { key, serializable: shape.serializable };
    return Buffer.from(RangeRequest.encode(RangeRequest.fromPartial(request)).finish());
  };
  return { path: KVService.range.path, keySizeBytes: shape.keySizeBytes, keyStride: shape.rangeKeys, encode };
}

/** A transaction of `txnOperations` puts in success and no compares. */
export function txnPutMethod(shape: RequestShape): UnaryMethod {
  const encode = (key: Buffer): Buffer => {
    const success = Array.from({ length: shape.txnOperations }, () => ({ requestPut: PutRequest.fromPartial({ key, value: shape.value }) }));
    return Buffer.from(TxnRequest.encode(TxnRequest.fromPartial({ success })).finish());
  };
  return { path: KVService.txn.path, keySizeBytes: shape.keySizeBytes, keyStride: 1, encode };
}
