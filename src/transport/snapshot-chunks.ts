// Helpers both transports use for snapshot data: slicing large chunks to the wire's chunk
// size without copying, and checking on the receiving side that the handler consumed every
// chunk before the transfer is reported successful.

/** Yields the chunks with none longer than `chunkBytesMax`, as views of the originals. */
export async function* sliceChunks(chunks: AsyncIterable<Uint8Array>, chunkBytesMax: number): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    for (let offset = 0; offset < chunk.byteLength; offset += chunkBytesMax) {
      yield chunk.subarray(offset, Math.min(chunk.byteLength, offset + chunkBytesMax));
    }
  }
}

/** Wraps incoming chunks so the receiver can tell whether the handler read them to the end. */
export class ConsumedChunks implements AsyncIterable<Uint8Array> {
  // Invariant: true only after the source returned done to this wrapper's reader.
  private finished = false;

  constructor(private readonly source: AsyncIterable<Uint8Array>) {}

  get consumedAll(): boolean {
    return this.finished;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for await (const chunk of this.source) yield chunk;
    this.finished = true;
  }
}

/** The error a receiver reports when onSnapshot resolved with chunks still unread. */
export const SNAPSHOT_NOT_CONSUMED = 'the snapshot handler resolved before reading every chunk';
