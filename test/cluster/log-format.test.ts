// A node's log lines are for whoever reads them: human-readable (pino-pretty) when stdout is a
// terminal, one JSON object a line otherwise (a pipe, a file, a log collector).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, REPOSITORY_ROOT, ServerProcess, temporaryDirectory, waitFor } from './cluster-harness.js';

const started: ServerProcess[] = [];
const stopInTerminal: Array<() => void> = [];

afterAll(async () => {
  for (const stop of stopInTerminal) stop();
  await Promise.all(started.map((server) => server.terminate()));
});

/** The flags of one member on free ports, logging at info so that it says when it serves. */
async function serverFlags(): Promise<string[]> {
  const ports = [await freePort(), await freePort(), await freePort()].map(String);
  const dataDir = join(await temporaryDirectory('log-format'), 'n1');
  return ['--node-id', 'n1', '--http-port', ports[0]!, '--grpc-port', ports[1]!, '--raft-port', ports[2]!, '--data-dir', dataDir, '--log-level', 'info'];
}

describe('log lines', () => {
  it('are JSON when stdout is a pipe', async () => {
    const server = new ServerProcess('n1', { http: 0, raft: 0, grpc: 0 }, '', await serverFlags(), { argsAsGiven: true });
    started.push(server);
    server.start();
    const line = await waitFor('the serving line', 30_000, () => server.log.split('\n').find((candidate) => candidate.includes('"msg":"serving"')));
    expect(JSON.parse(line)).toMatchObject({ level: 30, node: 'n1', msg: 'serving' });
  }, 60_000);

  it('are readable when stdout is a terminal', async () => {
    const command = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'server', ...(await serverFlags())].join(' ');
    // script(1) gives the server a pseudo-terminal for stdout, as a person's shell would.
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: REPOSITORY_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    stopInTerminal.push(() => child.kill('SIGKILL'));
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    await waitFor('the serving line', 30_000, () => (output.includes('serving') ? true : undefined)).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${output}`);
    });
    const line = output.split('\n').find((candidate) => candidate.includes('serving')) as string;
    expect(line).toMatch(/INFO/);
    expect(line).not.toMatch(/"level":30/);
    // Ctrl-C at the terminal: the server stops as it would at a person's shell.
    child.stdin.write('\x03');
    await waitFor('the server to stop', 30_000, () => (child.exitCode !== null ? true : undefined));
  }, 60_000);
});
