// ReadIndex contexts: each read request carries its id, so the ReadState that answers it can be
// matched with the commit index that was known when it was issued.

const READ_CONTEXT_BYTES = 4;

export function encodeReadId(readId: number): Uint8Array {
  const context = new Uint8Array(READ_CONTEXT_BYTES);
  new DataView(context.buffer).setUint32(0, readId);
  return context;
}

export function decodeReadId(context: Uint8Array): number {
  if (context.length !== READ_CONTEXT_BYTES) {
    throw new Error(`a ReadState came back with a ${context.length}-byte context; the simulator sent ${READ_CONTEXT_BYTES} bytes`);
  }
  return new DataView(context.buffer, context.byteOffset, context.byteLength).getUint32(0);
}
