// Physical compaction of history. Applying a CompactionRequest only moves the compact
// revision (reads below it fail at once); this class then removes the history in bounded
// batches, each recording its progress, so it never holds the whole history in memory and a
// restart resumes where it stopped (etcd schedules its compaction the same way).
//
// For compaction to revision C, each history event at revision e <= C supersedes the key's
// previous live revision, so that revision record and its event go; deletions below C go with
// their tombstones. What remains for each key is its last revision <= C if that is a put, with
// its event (etcd's HashKV hashes it under its sub revision, which only the event holds), plus
// everything after C — exactly what reads at C and later need.
import type { Keyspace } from './key-codec.js';
import { decodeCompactionProgress, decodeHistory, encodeCompactionProgress, EventType, type CompactionProgress } from './record-codec.js';
import type { Database } from './storage.js';

const SUB_MAX = 0xffff_ffff;

export class PhysicalCompactor {
  constructor(
    private readonly db: Database,
    private readonly batchEventsMax = 4096,
  ) {}

  private async progress(keyspace: Keyspace): Promise<CompactionProgress> {
    const [bytes] = await this.db.getMany([keyspace.compactionKey()]);
    return bytes === undefined ? { nextRevision: 1, nextSub: 0 } : decodeCompactionProgress(bytes);
  }

  /**
   * Removes history below `target`; idempotent, so it is safe to repeat after a crash, and
   * a no-op when an earlier run already got there.
   */
  async run(keyspace: Keyspace, target: number): Promise<void> {
    let from = await this.progress(keyspace);
    if (from.nextRevision >= target) return;
    for (;;) {
      const next = await this.compactBatch(keyspace, from, target);
      if (next === undefined) return;
      from = next;
    }
  }

  private async compactBatch(keyspace: Keyspace, from: CompactionProgress, target: number): Promise<CompactionProgress | undefined> {
    const iterator = this.db.iterator({
      gte: keyspace.historyKey({ revision: from.nextRevision, sub: from.nextSub }),
      lte: keyspace.historyKey({ revision: target, sub: SUB_MAX }),
      limit: this.batchEventsMax,
    });
    const entries = await iterator.all();
    const batch = this.db.batch();
    const superseded: Superseded[] = [];
    for (const [historyKey, value] of entries) {
      const position = keyspace.positionOfHistoryKey(historyKey);
      const event = decodeHistory(value);
      if (event.prevModRevision > 0) {
        batch.del(keyspace.revisionKey(event.key, event.prevModRevision));
        superseded.push({ key: event.key, revision: event.prevModRevision });
      }
      if (position.revision < target && event.type === EventType.Delete) {
        batch.del(historyKey);
        batch.del(keyspace.revisionKey(event.key, position.revision));
      }
    }
    for (const historyKey of await this.historyKeysOf(keyspace, superseded)) batch.del(historyKey);
    const last = entries[entries.length - 1];
    const done = entries.length < this.batchEventsMax || last === undefined;
    // Events at the target itself stay; the next compaction starts from them.
    const next = done ? { nextRevision: target, nextSub: 0 } : nextPosition(keyspace, last[0]);
    batch.put(keyspace.compactionKey(), encodeCompactionProgress(next));
    await batch.write();
    return done ? undefined : next;
  }

  /**
   * The history events of superseded revisions. Most revisions change one key, so each is
   * looked for at sub 0 first, all in one read; the others are searched among their revision's
   * remaining events. A revision compacted before kept puts kept their events has none.
   */
  private async historyKeysOf(keyspace: Keyspace, revisions: readonly Superseded[]): Promise<Buffer[]> {
    const firstKeys = revisions.map(({ revision }) => keyspace.historyKey({ revision, sub: 0 }));
    const firsts = await this.db.getMany(firstKeys);
    const found: Buffer[] = [];
    for (const [index, { key, revision }] of revisions.entries()) {
      const first = firsts[index];
      if (first !== undefined && Buffer.from(decodeHistory(first).key).equals(key)) {
        found.push(firstKeys[index]!);
        continue;
      }
      const others = await this.db.iterator({ gte: keyspace.historyKey({ revision, sub: 1 }), lte: keyspace.historyKey({ revision, sub: SUB_MAX }) }).all();
      const match = others.find(([, value]) => Buffer.from(decodeHistory(value).key).equals(key));
      if (match !== undefined) found.push(match[0]);
    }
    return found;
  }
}

interface Superseded {
  readonly key: Uint8Array;
  readonly revision: number;
}

function nextPosition(keyspace: Keyspace, historyKey: Buffer): CompactionProgress {
  const position = keyspace.positionOfHistoryKey(historyKey);
  return position.sub === SUB_MAX ? { nextRevision: position.revision + 1, nextSub: 0 } : { nextRevision: position.revision, nextSub: position.sub + 1 };
}
