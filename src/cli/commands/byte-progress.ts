// Progress of a long byte transfer on stderr: a bar (cli-progress) when stderr is a terminal,
// otherwise a plain line every few megabytes, so a log file still shows that it moves. The
// total may be an estimate (a backup's size is known only once it is written): shown with a
// "~", and raised if the transfer outgrows it.
import cliProgress from 'cli-progress';

const PLAIN_LINE_INTERVAL_BYTES = 4 * 1024 * 1024;

export class ByteProgress {
  /** Invariant: the bytes that passed through count() so far. */
  bytes = 0;
  private readonly bar: cliProgress.SingleBar | undefined;
  private lastLineAtBytes = 0;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly label: string,
    private totalBytes: number | undefined,
    private readonly totalIsEstimate = false,
  ) {
    if ((stream as NodeJS.WriteStream).isTTY === true) {
      const total = totalBytes === undefined ? '' : ` of ${totalIsEstimate ? '~' : ''}{total} ({percentage}%)`;
      this.bar = new cliProgress.SingleBar({ stream: stream as NodeJS.WriteStream, format: `${label} [{bar}] {value} bytes${total}`, hideCursor: true }, cliProgress.Presets.shades_classic);
      this.bar.start(totalBytes ?? 0, 0);
    }
  }

  /** Passes the chunks through, counting them. */
  async *count(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
    for await (const chunk of chunks) {
      this.bytes += chunk.length;
      this.report();
      yield chunk;
    }
  }

  stop(): void {
    if (this.bar !== undefined) {
      // Once done, the count is the size: an estimate gives way to it.
      this.bar.setTotal(this.totalIsEstimate ? this.bytes : Math.max(this.bytes, this.totalBytes ?? 0));
      this.bar.stop();
    } else {
      this.stream.write(`${this.label}: ${this.bytes} bytes${this.totalIsEstimate ? '' : this.ofTotal()}\n`);
    }
  }

  private report(): void {
    if (this.totalIsEstimate && this.totalBytes !== undefined && this.bytes > this.totalBytes) this.totalBytes = this.bytes;
    if (this.bar !== undefined) {
      // Without any total the bar can only say how much has passed.
      this.bar.setTotal(this.totalBytes ?? this.bytes);
      this.bar.update(this.bytes);
    } else if (this.bytes - this.lastLineAtBytes >= PLAIN_LINE_INTERVAL_BYTES) {
      this.lastLineAtBytes = this.bytes;
      this.stream.write(`${this.label}: ${this.bytes} bytes${this.ofTotal()}\n`);
    }
  }

  private ofTotal(): string {
    if (this.totalBytes === undefined) return '';
    return ` of ${this.totalIsEstimate ? 'about ' : ''}${this.totalBytes}`;
  }
}
