// What a member does with a damaged or foreign data directory: a torn record
// at the tail of the WAL is cut off and the member starts; a corrupted record in the middle of
// the log, a snapshot whose checksum does not match and another cluster's data directory each
// stop it with a message that names the problem, and an exit code (3) that says "do not
// restart me, look at the data directory".
import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';
import { freePort, request, ServerProcess, temporaryDirectory } from './cluster-harness.js';

const started: ServerProcess[] = [];
const SEGMENT_FILE = /^[0-9a-f]{16}-[0-9a-f]{16}\.wal$/;
const SNAPSHOT_FILE = /^[0-9a-f]{16}-[0-9a-f]{16}\.snap$/;

afterAll(async () => {
  await Promise.all(started.map((member) => member.kill()));
});

/** A one-member cluster (it elects itself), started and ready, holding `keys` keys. */
async function singleMember(prefix: string, keys: number, extraArgs: readonly string[] = []): Promise<ServerProcess> {
  const root = await temporaryDirectory(prefix);
  const ports = { http: await freePort(), raft: await freePort(), grpc: await freePort() };
  const member = new ServerProcess('n1', ports, join(root, 'n1'), ['--initial-cluster', `n1=127.0.0.1:${ports.raft}`, ...extraArgs]);
  started.push(member);
  member.start();
  await member.waitUntilReady();
  for (let index = 0; index < keys; index++) {
    const answer = await request(member.url, 'PUT', `/api/v1/keys/key-${index}`, `value-${index}`);
    expect(answer.status, answer.text).toBe(200);
  }
  return member;
}

async function filesIn(directory: string, pattern: RegExp): Promise<string[]> {
  return (await readdir(directory)).filter((name) => pattern.test(name)).sort().map((name) => join(directory, name));
}

/** Starts the member again and expects it to refuse: returns what it wrote to its output. */
async function expectRefusal(member: ServerProcess): Promise<string> {
  member.start();
  const exit = await member.exited(30_000);
  expect(exit.code, member.log).toBe(EXIT_CODES.dataDirRefused);
  return member.log;
}

describe('a member\'s data directory', () => {
  it('with a torn record at the tail of the WAL is repaired at start and keeps every write', async () => {
    const member = await singleMember('torn-tail', 20);
    // A clean stop leaves the WAL ending on a record boundary, so the tail added below is the
    // only torn write (a kill -9 could itself leave one, which the bytes below would then extend).
    expect(await member.terminate()).toEqual({ code: 0, signal: null });
    const [newest] = (await filesIn(join(member.dataDir, 'raft/logs'), SEGMENT_FILE)).reverse();
    // A frame header that promises 200 bytes, followed by only 5 of them: a write cut by a crash.
    await appendFile(newest as string, Buffer.from([0, 0, 0, 200, 1, 0, 0, 0, 0]));
    member.start();
    await member.waitUntilReady();
    for (let index = 0; index < 20; index++) {
      const answer = await request(member.url, 'GET', `/api/v1/keys/key-${index}`);
      expect(answer.text, member.log).toBe(`value-${index}`);
    }
    // Had the torn bytes stayed, a write after them would be unreadable at the next start.
    const write = await request(member.url, 'PUT', '/api/v1/keys/after-repair', 'kept');
    expect(write.status, `${write.text}\n${member.log}`).toBe(200);
    await member.kill();
    member.start();
    await member.waitUntilReady();
    expect((await request(member.url, 'GET', '/api/v1/keys/after-repair')).text, member.log).toBe('kept');
  }, 60_000);

  it('with a corrupted record in the middle of the log refuses to start, naming the file and offset', async () => {
    const member = await singleMember('mid-log', 60);
    await member.kill();
    const [oldest] = await filesIn(join(member.dataDir, 'raft/logs'), SEGMENT_FILE);
    const bytes = await readFile(oldest as string);
    const middle = Math.floor(bytes.length / 3);
    bytes[middle] = (bytes[middle] as number) ^ 0xff;
    await writeFile(oldest as string, bytes);
    const output = await expectRefusal(member);
    expect(output).toMatch(/cannot start: STORAGE_CORRUPT: .*\.wal is corrupt at byte offset \d+/);
  }, 60_000);

  it('with a snapshot whose checksum does not match refuses to start, naming the file', async () => {
    const member = await singleMember('bad-snapshot', 40, ['--snapshot-entries', '10', '--compaction-margin-entries', '0']);
    await member.kill();
    const snapshots = await filesIn(join(member.dataDir, 'raft/snapshots'), SNAPSHOT_FILE);
    expect(snapshots.length, 'a snapshot was written').toBeGreaterThan(0);
    const newest = snapshots[snapshots.length - 1] as string;
    const bytes = await readFile(newest);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] as number) ^ 0xff;
    await writeFile(newest, bytes);
    const output = await expectRefusal(member);
    expect(output).toMatch(/cannot start: STORAGE_SNAPSHOT_CHECKSUM: .*\.snap/);
  }, 60_000);

  it('of another cluster refuses to start, naming both cluster ids', async () => {
    const member = await singleMember('foreign', 1);
    await member.terminate();
    const otherRaftPort = await freePort();
    member.setArgs(['--initial-cluster', `n1=127.0.0.1:${member.ports.raft},n2=127.0.0.1:${otherRaftPort}`]);
    const output = await expectRefusal(member);
    expect(output).toMatch(/cannot start: NODE_CLUSTER_MISMATCH: the data directory .* belongs to cluster [0-9a-f]{16}, not to the configured cluster [0-9a-f]{16}/);
  }, 60_000);

  it('in use by a running member is refused to a second process', async () => {
    const member = await singleMember('locked', 1);
    // Its own ports, so only the data directory is shared.
    const intruder = new ServerProcess('n1', { http: await freePort(), raft: await freePort(), grpc: await freePort() }, member.dataDir, [
      '--initial-cluster',
      `n1=${member.peerAddress}`,
      '--advertise-peer-address',
      member.peerAddress,
    ]);
    started.push(intruder);
    const output = await expectRefusal(intruder);
    expect(output).toMatch(new RegExp(`cannot start: NODE_DATA_DIR_LOCKED: .* is in use by process ${member.pid}`));
    expect((await request(member.url, 'GET', '/api/v1/keys/key-0')).text).toBe('value-0');
  }, 60_000);
});
