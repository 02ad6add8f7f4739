// Prefixes as etcd ranges: [prefix, prefixEnd). The empty prefix means every key.

const ZERO = Buffer.from([0]);

/** The first key of a prefix range; `\0` stands for "from the first key" when the prefix is empty. */
export function prefixStart(prefix: Uint8Array): Uint8Array {
  return prefix.length === 0 ? ZERO : prefix;
}

/** The smallest key greater than every key with this prefix, or `\0` (no end) when there is none. */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = Buffer.from(prefix);
  for (let index = end.length - 1; index >= 0; index--) {
    const byte = end[index] as number;
    if (byte < 0xff) {
      end[index] = byte + 1;
      return end.subarray(0, index + 1);
    }
  }
  return ZERO;
}

/** The key right after `key` in byte order: where the next page starts. */
export function keyAfter(key: Uint8Array): Buffer {
  return Buffer.concat([key, ZERO]);
}
