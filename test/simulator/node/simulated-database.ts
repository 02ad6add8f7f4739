// The MVCC database of a simulated node: memory-level, which shares classic-level's
// abstract-level API but answers through promises alone (no native threads), so a seed
// replays exactly. It outlives the node's crashes, as LevelDB's files outlive a killed
// process: the store's applied index is written with its data, so a restart resumes from it.

import { MemoryLevel } from 'memory-level';
import type { Database } from '../../../src/mvcc/index.js';

export class SimulatedDatabase extends MemoryLevel<Buffer, Buffer> implements Database {
  constructor() {
    super({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
  }

  /** Memory needs no compaction to return space. */
  compactRange(): Promise<void> {
    return Promise.resolve();
  }

  async sizeBytes(): Promise<number> {
    let bytes = 0;
    for await (const [key, value] of this.iterator()) bytes += key.byteLength + value.byteLength;
    return bytes;
  }
}
