// The audit log's file: one JSON line per entry, appended to `path`, rotated by size as
// logrotate does (path → path.1 → path.2 ...), keeping `maxFiles` rotated files beside the
// current one. Writing never blocks a call: lines queue in the stream, and past
// AUDIT_BUFFERED_BYTES_MAX (a disk that stopped keeping up) further lines are dropped, counted
// and reported in the server log rather than holding the node's memory.
import { mkdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import type { Logger } from '../observability/logger.js';
import type { AuditEntry } from './audit-entry.js';

/** Lines waiting for the disk beyond this many bytes are dropped. */
export const AUDIT_BUFFERED_BYTES_MAX = 16 * 1024 * 1024;

export interface AuditLogOptions {
  /** Absolute. */
  readonly path: string;
  /** The current file is rotated once a write takes it past this size. */
  readonly maxBytes: number;
  /** Rotated files kept beside the current one; the oldest is removed past it. */
  readonly maxFiles: number;
}

export class AuditLog {
  private droppedLines = 0;

  private constructor(
    private readonly stream: RotatingFileStream,
    private readonly logger: Logger,
  ) {}

  static async open(options: AuditLogOptions, logger: Logger): Promise<AuditLog> {
    await mkdir(dirname(options.path), { recursive: true });
    const name = basename(options.path);
    // In logrotate mode the generator receives the rotation's index, or null for the current file.
    const fileName = (index: number | Date | null): string => (index === null ? name : `${name}.${String(index)}`);
    const stream = createStream(fileName, { path: dirname(options.path), size: `${options.maxBytes}B`, rotate: options.maxFiles });
    const log = new AuditLog(stream, logger);
    stream.on('error', (error) => logger.error({ err: error, path: options.path }, 'the audit log cannot be written'));
    stream.on('warning', (error) => logger.warn({ err: error, path: options.path }, 'audit log rotation'));
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    return log;
  }

  append(entry: AuditEntry): void {
    if (this.stream.writableLength > AUDIT_BUFFERED_BYTES_MAX) {
      if (this.droppedLines++ === 0) this.logger.error({ bufferedBytesMax: AUDIT_BUFFERED_BYTES_MAX }, 'the audit log cannot keep up with the disk: dropping lines until it does');
      return;
    }
    if (this.droppedLines > 0) {
      this.logger.error({ droppedLines: this.droppedLines }, 'the audit log keeps up again; lines were dropped meanwhile');
      this.droppedLines = 0;
    }
    this.stream.write(`${JSON.stringify(entry)}\n`);
  }

  /** Resolves once every appended line is written. */
  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }
}
