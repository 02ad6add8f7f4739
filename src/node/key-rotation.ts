// `bvault admin rotate-encryption-key` on one member: re-read the key file, check it still
// holds every key the member's data needs, switch every sealer to its newest key, re-seal the
// database's values in bounded background batches, then start a new WAL segment and take a
// snapshot so that the segments and snapshot files under older keys are deleted. When it
// resolves, no file of the data directory needs an older key, and it can leave the key file.
// Like defragment, it is local: each member has its own key file.

import { EncryptionError } from '../encryption/errors.js';
import { loadRecordCipher } from '../encryption/key-file.js';
import type { RecordCipher } from '../encryption/record-cipher.js';
import type { EncryptedDatabase } from '../mvcc/encrypted-database.js';
import type { Logger } from '../observability/logger.js';
import type { NodeMetrics } from '../observability/metrics.js';
import type { DurableLogStore } from '../storage/index.js';
import { NodeError } from './errors.js';

export interface KeyRotationResult {
  /** The key every record is now sealed under. */
  readonly keyId: string;
  readonly valuesResealed: number;
  readonly durationMs: number;
}

export interface KeyRotationParts {
  readonly keyFile: string | undefined;
  readonly cipher: RecordCipher;
  /** Undefined when encryption is off. */
  readonly database: EncryptedDatabase | undefined;
  readonly logStore: DurableLogStore;
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
  /** Re-seals the log once everything written before `lastIndexBefore` is applied (log-maintenance.ts). */
  readonly resealLog: (sequence: number, lastIndexBefore: number) => Promise<void>;
  /** LevelDB's rewrite of its files, so that records under the old key leave the disk too. */
  readonly reclaim: () => Promise<void>;
}

/** Progress is logged every this many values; the metric follows every batch. */
const PROGRESS_LOG_VALUES = 100_000;

export class KeyRotation {
  // Invariant: true while a rotation runs; a second one is refused, not queued.
  private running = false;

  constructor(private readonly parts: KeyRotationParts) {}

  async rotate(): Promise<KeyRotationResult> {
    const { keyFile, cipher, database } = this.parts;
    if (keyFile === undefined || database === undefined || !cipher.enabled) throw new EncryptionError('ENCRYPTION_OFF', {});
    if (this.running) throw new NodeError('NODE_BUSY', { reason: 'a key rotation is already running on this member' });
    this.running = true;
    this.parts.metrics.encryptionRotationRunning.set(1);
    try {
      return await this.run(keyFile, cipher, database);
    } finally {
      this.running = false;
      this.parts.metrics.encryptionRotationRunning.set(0);
    }
  }

  private async run(keyFile: string, cipher: RecordCipher, database: EncryptedDatabase): Promise<KeyRotationResult> {
    const { logger, metrics, logStore } = this.parts;
    const startedMs = performance.now();
    const next = await loadRecordCipher(keyFile, (warning) => logger.warn(warning));
    const previous = cipher.activeKeyId!;
    if (!next.holdsSameKey(cipher, previous)) {
      const reason = `key "${previous}", which the log and snapshots are sealed under, is ${next.hasKey(previous) ? 'different' : 'missing'} in ${keyFile}; keep it there until the rotation completes`;
      throw new EncryptionError('ENCRYPTION_ROTATION_REFUSED', { reason });
    }
    await database.prepareRotation(next);
    cipher.adopt(next);
    const keyId = cipher.activeKeyId!;
    logger.info({ from: previous, to: keyId }, 'rotating the encryption key: new records are sealed under the new key');
    const { sequence, lastIndexBefore } = await logStore.startSegment();
    metrics.encryptionRotationValuesResealed.set(0);
    let logged = 0;
    const valuesResealed = await database.resealAll((resealed) => {
      metrics.encryptionRotationValuesResealed.set(resealed);
      if (resealed - logged < PROGRESS_LOG_VALUES) return;
      logged = resealed;
      logger.info({ valuesResealed: resealed }, 'rotating the encryption key: database values re-sealed so far');
    });
    await this.parts.resealLog(sequence, lastIndexBefore);
    await this.parts.reclaim();
    const durationMs = Math.round(performance.now() - startedMs);
    logger.info({ keyId, valuesResealed, durationMs }, 'rotated the encryption key: no file needs an older key now');
    return { keyId, valuesResealed, durationMs };
  }
}
