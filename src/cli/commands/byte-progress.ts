// Progress of a long byte transfer on stderr: a bar (cli-progress) when stderr is a terminal,
// otherwise a plain line every few megabytes, so a log file still shows that it moves.
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
    private readonly totalBytes: number | undefined,
  ) {
    if ((stream as NodeJS.WriteStream).isTTY === true) {
      this.bar = new cliProgress.SingleBar({ stream: stream as NodeJS.WriteStream, format: `${label} [{bar}] {value} bytes${totalBytes === undefined ? '' : ' of {total} ({percentage}%)'}`, hideCursor: true }, cliProgress.Presets.shades_classic);
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
      this.bar.setTotal(Math.max(this.bytes, this.totalBytes ?? 0));
      this.bar.stop();
    } else {
      this.stream.write(`${this.label}: ${this.bytes} bytes${this.totalBytes === undefined ? '' : ` of ${this.totalBytes}`}\n`);
    }
  }

  private report(): void {
    if (this.bar !== undefined) {
      if (this.totalBytes === undefined) this.bar.setTotal(this.bytes);
      this.bar.update(this.bytes);
    } else if (this.bytes - this.lastLineAtBytes >= PLAIN_LINE_INTERVAL_BYTES) {
      this.lastLineAtBytes = this.bytes;
      this.stream.write(`${this.label}: ${this.bytes} bytes${this.totalBytes === undefined ? '' : ` of ${this.totalBytes}`}\n`);
    }
  }
}
