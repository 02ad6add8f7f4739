// Encryption at rest against real server processes: a value written through the API is in no
// file of the data directory (WAL, LevelDB tables and logs, snapshots) nor in a backup when a
// key file is set, and is when it is not, so the check can fail; a restart with the wrong key,
// another key or no key is refused naming the key id; kill -9 loses no acknowledged write; a
// member that ran without encryption keeps reading its old values once given a key; a key
// rotation under writes loses nothing, and the old key can then leave the file.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';
import { ConcurrentWriters, freePort, listAll, missingWrites, REPOSITORY_ROOT, request, ServerProcess, sleep, temporaryDirectory } from './cluster-harness.js';

const started: ServerProcess[] = [];
const SECRET_WRITES = 40;

afterAll(async () => {
  await Promise.all(started.map((member) => member.kill()));
});

async function keyFile(directory: string, name: string, ids: readonly string[]): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, ids.map((id) => `${id}: ${randomBytes(32).toString('base64')}\n`).join(''), { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

async function member(prefix: string, args: readonly string[]): Promise<{ server: ServerProcess; root: string }> {
  const root = await temporaryDirectory(prefix);
  // A snapshot every 10 entries, so snapshot files are among the files searched.
  const server = new ServerProcess('n1', { http: await freePort(), raft: await freePort(), grpc: await freePort() }, join(root, 'n1'), ['--snapshot-entries', '10', '--compaction-margin-entries', '2', ...args]);
  started.push(server);
  return { server, root };
}

/** Every file under `directory` that holds `needle`, by path. */
async function filesHolding(directory: string, needle: Buffer): Promise<string[]> {
  const holding: string[] = [];
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if ((await readFile(path)).includes(needle)) holding.push(path);
  }
  return holding;
}

async function writeSecrets(server: ServerProcess, secret: string): Promise<void> {
  for (let index = 0; index < SECRET_WRITES; index++) {
    const answer = await request(server.url, 'PUT', `/api/v1/keys/secret/${index}`, `${secret}-${index}`);
    expect(answer.status, answer.text).toBe(200);
  }
}

async function backupOf(server: ServerProcess): Promise<Buffer> {
  const response = await fetch(`${server.url}/api/v1/admin/backup`, { method: 'POST' });
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

async function expectRefused(server: ServerProcess, args: readonly string[], ...patterns: RegExp[]): Promise<void> {
  server.setArgs(args);
  server.start();
  expect((await server.exited(30_000)).code, server.log).toBe(EXIT_CODES.dataDirRefused);
  for (const pattern of patterns) expect(server.log).toMatch(pattern);
}

describe('encryption at rest', () => {
  it('keeps a written value out of every file of the data directory and out of backups; without a key it is there', async () => {
    const secret = `secret-${randomBytes(8).toString('hex')}`;
    const root = await temporaryDirectory('encryption-keys');
    const encrypted = await member('encrypted', ['--encryption-key-file', await keyFile(root, 'keys', ['k1'])]);
    const plain = await member('plain', []);
    for (const { server } of [encrypted, plain]) {
      server.start();
      await server.waitUntilReady();
      await writeSecrets(server, secret);
    }
    const encryptedBackup = await backupOf(encrypted.server);
    const plainBackup = await backupOf(plain.server);
    await Promise.all([encrypted.server.terminate(), plain.server.terminate()]);

    const needle = Buffer.from(secret);
    const plainFiles = await filesHolding(plain.server.dataDir, needle);
    console.info(`the value is in ${plainFiles.length} files without encryption: ${plainFiles.map((path) => path.slice(plain.server.dataDir.length)).join(', ')}`);
    expect(plainFiles.some((path) => path.includes('/raft/logs/')), 'the WAL holds it in the clear').toBe(true);
    expect(plainFiles.some((path) => path.includes('/keyvalue/')), 'LevelDB holds it in the clear').toBe(true);
    expect(plainBackup.includes(needle)).toBe(true);
    expect(await filesHolding(encrypted.server.dataDir, needle)).toEqual([]);
    expect(encryptedBackup.includes(needle)).toBe(false);
    const snapshots = await readdir(join(encrypted.server.dataDir, 'raft', 'snapshots'));
    expect(snapshots.some((name) => name.endsWith('.snap')), `snapshot files were written: ${snapshots.join(', ')}`).toBe(true);
  }, 90_000);

  it('refuses a restart with another key under the same id, without the key id, or without a key file, naming the key id', async () => {
    const root = await temporaryDirectory('encryption-refusals');
    const { server } = await member('refusals', ['--encryption-key-file', await keyFile(root, 'right', ['k1'])]);
    const rightArgs = server.flags;
    server.start();
    await server.waitUntilReady();
    await writeSecrets(server, 'refusal');
    await server.terminate();

    await expectRefused(server, [...baseArgs(rightArgs), '--encryption-key-file', await keyFile(root, 'same-id', ['k1'])], /ENCRYPTION_AUTHENTICATION_FAILED/, /key id "k1"/);
    await expectRefused(server, [...baseArgs(rightArgs), '--encryption-key-file', await keyFile(root, 'other-id', ['k2'])], /ENCRYPTION_KEY_MISSING/, /key id "k1", which is not in the key file/);
    await expectRefused(server, baseArgs(rightArgs), /ENCRYPTION_KEY_MISSING/, /key id "k1", which is not available: no encryption-key-file is set/);

    server.setArgs(rightArgs);
    server.start();
    await server.waitUntilReady();
    expect((await listAll(server.url, 'secret/')).get('secret/7')).toBe('refusal-7');
  }, 90_000);

  it('restores its own backup; a member without the key refuses it naming the key id', async () => {
    const root = await temporaryDirectory('encryption-backup');
    const { server } = await member('backup-source', ['--encryption-key-file', await keyFile(root, 'keys', ['k1'])]);
    const plain = await member('backup-plain', []);
    for (const each of [server, plain.server]) each.start();
    await Promise.all([server.waitUntilReady(), plain.server.waitUntilReady()]);
    await writeSecrets(server, 'backed-up');
    const backup = await backupOf(server);
    await request(server.url, 'PUT', '/api/v1/keys/secret/0', 'changed after the backup');

    const refused = await request(plain.server.url, 'POST', '/api/v1/admin/restore', backup, { 'content-type': 'application/octet-stream' });
    expect(refused.status, refused.text).not.toBe(200);
    expect(refused.text).toMatch(/key id \\?"k1\\?"/);
    const restored = await request(server.url, 'POST', '/api/v1/admin/restore', backup, { 'content-type': 'application/octet-stream' });
    expect(restored.status, restored.text).toBe(200);
    expect((await listAll(server.url, 'secret/')).get('secret/0')).toBe('backed-up-0');
  }, 90_000);

  it('loses no acknowledged write to kill -9', async () => {
    const root = await temporaryDirectory('encryption-kill');
    const { server } = await member('kill', ['--encryption-key-file', await keyFile(root, 'keys', ['k1'])]);
    server.start();
    await server.waitUntilReady();
    const writers = new ConcurrentWriters(() => [server], 8, 'kill/');
    await sleep(2_000);
    await server.kill();
    await writers.stop();
    console.info(`${writers.acknowledged.size} writes acknowledged before kill -9`);
    expect(writers.acknowledged.size).toBeGreaterThan(0);
    server.start();
    await server.waitUntilReady();
    expect(missingWrites(writers.acknowledged, await listAll(server.url, 'kill/'))).toEqual([]);
  }, 90_000);

  it('given a key after running without one, reads its old values and seals new ones', async () => {
    const root = await temporaryDirectory('encryption-late');
    const { server } = await member('late', []);
    const plainArgs = server.flags;
    server.start();
    await server.waitUntilReady();
    await writeSecrets(server, 'before-the-key');
    await server.terminate();

    server.setArgs([...plainArgs, '--encryption-key-file', await keyFile(root, 'keys', ['k1'])]);
    server.start();
    await server.waitUntilReady();
    const late = `late-${randomBytes(8).toString('hex')}`;
    expect((await request(server.url, 'PUT', '/api/v1/keys/late', late)).status).toBe(200);
    expect((await listAll(server.url, 'secret/')).get('secret/3')).toBe('before-the-key-3');
    await server.terminate();
    expect(await filesHolding(server.dataDir, Buffer.from(late))).toEqual([]);
  }, 90_000);
});

describe('rotate-encryption-key', () => {
  it('re-encrypts under writes with nothing lost, and again with no write since; then the old keys leave the file and a restart works', async () => {
    const root = await temporaryDirectory('encryption-rotation');
    const keys = await keyFile(root, 'keys', ['k1']);
    const oldLine = await readFile(keys, 'utf8');
    const { server } = await member('rotation', ['--encryption-key-file', keys]);
    server.start();
    await server.waitUntilReady();
    await writeSecrets(server, 'before-rotation');
    const writers = new ConcurrentWriters(() => [server], 4, 'rotation/');
    await sleep(1_000);
    const newLine = `k2: ${randomBytes(32).toString('base64')}\n`;
    await writeFile(keys, newLine + oldLine);
    const rotated = await request(server.url, 'POST', '/api/v1/admin/rotate-encryption-key');
    await sleep(500);
    await writers.stop();
    console.info(`rotation answered ${rotated.text}; ${writers.acknowledged.size} writes acknowledged around it, ${writers.failures} failed`);
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.json).toMatchObject({ keyId: 'k2' });
    expect((rotated.json as { valuesResealed: number }).valuesResealed).toBeGreaterThanOrEqual(SECRET_WRITES);
    const metrics = await request(server.url, 'GET', '/metrics');
    expect(metrics.text).toMatch(/bvault_encryption_rotation_values_resealed [1-9]/);

    // A second rotation with no write since the first: the snapshot it needs is rewritten, not taken.
    const newestLine = `k3: ${randomBytes(32).toString('base64')}\n`;
    await writeFile(keys, newestLine + newLine);
    const again = await request(server.url, 'POST', '/api/v1/admin/rotate-encryption-key');
    expect(again.status, again.text).toBe(200);
    expect(again.json).toMatchObject({ keyId: 'k3' });

    await server.terminate();
    await writeFile(keys, newestLine);
    server.start();
    await server.waitUntilReady();
    expect(missingWrites(writers.acknowledged, await listAll(server.url, 'rotation/'))).toEqual([]);
    expect((await listAll(server.url, 'secret/')).get('secret/5')).toBe('before-rotation-5');
  }, 90_000);

  it('is refused when the re-read file lacks the key the data is sealed under, and without a key file; bvault admin rotate-encryption-key rotates each endpoint', async () => {
    const root = await temporaryDirectory('encryption-rotation-refused');
    const keys = await keyFile(root, 'keys', ['k1']);
    const oldLine = await readFile(keys, 'utf8');
    const { server } = await member('rotation-refused', ['--encryption-key-file', keys]);
    const plain = await member('rotation-plain', []);
    server.start();
    plain.server.start();
    await Promise.all([server.waitUntilReady(), plain.server.waitUntilReady()]);
    await writeSecrets(server, 'kept');
    await keyFile(root, 'keys', ['k2']);
    const refused = await request(server.url, 'POST', '/api/v1/admin/rotate-encryption-key');
    expect(refused.status, refused.text).toBe(409);
    expect(refused.text).toMatch(/key \\?"k1\\?".*is missing/);
    const off = await request(plain.server.url, 'POST', '/api/v1/admin/rotate-encryption-key');
    expect(off.status, off.text).toBe(409);
    expect(off.text).toMatch(/ENCRYPTION_OFF/);
    expect((await listAll(server.url, 'secret/')).get('secret/1')).toBe('kept-1');

    await writeFile(keys, `k3: ${randomBytes(32).toString('base64')}\n${oldLine}`);
    const cli = await bvault(['admin', 'rotate-encryption-key', '--endpoints', `127.0.0.1:${server.ports.grpc},127.0.0.1:${plain.server.ports.grpc}`]);
    expect(cli.code, cli.stderr).not.toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`127.0.0.1:${server.ports.grpc}: every record is under key k3 \\(\\d+ values re-encrypted in \\d+ ms\\)`));
    expect(cli.stderr).toMatch(new RegExp(`127.0.0.1:${plain.server.ports.grpc}: ENCRYPTION_OFF`));
  }, 90_000);
});

/** The real `bvault` command line, bounded to 60 s. */
async function bvault(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPOSITORY_ROOT, 'src/cli/main.ts'), ...args], { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** The flags a member started with, minus its key file. */
function baseArgs(args: readonly string[]): string[] {
  const at = args.indexOf('--encryption-key-file');
  return at < 0 ? [...args] : [...args.slice(0, at), ...args.slice(at + 2)];
}
