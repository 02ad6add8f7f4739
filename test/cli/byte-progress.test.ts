// The progress of `bvault snapshot save` on a terminal: a bar with a total to fill, even though a
// backup's size is known only once it is written (the database's size stands in for it).
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ByteProgress } from '../../src/cli/commands/byte-progress.js';

/** A stream that says it is a terminal and keeps what the bar draws. */
function fakeTerminal(): { readonly stream: NodeJS.WritableStream; text(): string } {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString('utf8');
        done();
      },
    }),
    { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true },
  );
  return { stream, text: () => text };
}

async function* chunksOf(sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  for (const size of sizes) yield new Uint8Array(size);
}

async function drain(chunks: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _chunk of chunks) {
    // Only the counting matters.
  }
}

describe('the byte progress', () => {
  it('draws an estimated total with "~" and ends at the real size', async () => {
    const terminal = fakeTerminal();
    const progress = new ByteProgress(terminal.stream, 'snapshot save', 1_000, true);
    await drain(progress.count(chunksOf([250, 250])));
    progress.stop();
    expect(terminal.text()).toContain('500 bytes of ~500 (100%)');
    expect(terminal.text()).toContain('0 bytes of ~1000 (0%)');
  });

  it('raises an estimate the transfer outgrows instead of passing 100%', async () => {
    const terminal = fakeTerminal();
    const progress = new ByteProgress(terminal.stream, 'snapshot save', 100, true);
    await drain(progress.count(chunksOf([300])));
    progress.stop();
    expect(terminal.text()).toContain('300 bytes of ~300 (100%)');
    expect(terminal.text()).not.toMatch(/\(300%\)/);
  });

  it('writes plain lines without a terminal, the estimate as "about"', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const progress = new ByteProgress(stream, 'snapshot save', 8 * 1024 * 1024, true);
    await drain(progress.count(chunksOf([5 * 1024 * 1024])));
    progress.stop();
    expect(lines).toEqual([`snapshot save: ${5 * 1024 * 1024} bytes of about ${8 * 1024 * 1024}\n`, `snapshot save: ${5 * 1024 * 1024} bytes\n`]);
  });
});
