// The real `bvault` command (node --import tsx src/cli/main.ts) against a three-member
// cluster: each client command's table and JSON output and its exit code.
import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/index.js';
import { grpcEndpoint } from '../client/grpc-endpoints.js';
import { REPOSITORY_ROOT, TestCluster, temporaryDirectory } from '../cluster/cluster-harness.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let cluster: TestCluster;
let endpoints: string;
let scratch: string;

async function bvault(args: readonly string[], environment: Record<string, string> = {}, stdin?: Buffer): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPOSITORY_ROOT, 'src/cli/main.ts'), ...args], { cwd: REPOSITORY_ROOT, env: { ...process.env, ...environment }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(stdin);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

const withEndpoints = (...args: string[]): string[] => [...args, '--endpoints', endpoints];
const json = (run: Run): Record<string, unknown> => JSON.parse(run.stdout) as Record<string, unknown>;

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 3, prefix: 'cli' });
  endpoints = cluster.members.map(grpcEndpoint).join(',');
  scratch = await temporaryDirectory('cli-scratch');
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

describe('bvault client commands', () => {
  it('put, get and del print a table or JSON, and a missing key exits 5', async () => {
    const put = await bvault(withEndpoints('put', 'cli/a', 'hello'));
    expect(put).toMatchObject({ code: 0 });
    expect(put.stdout).toMatch(/^OK revision \d+\n$/);
    const table = await bvault(withEndpoints('get', 'cli/a'));
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^KEY\s+VALUE\s+MOD REVISION\s+VERSION\s+LEASE$/);
    expect(table.stdout.split('\n')[1]).toMatch(/^cli\/a\s+hello\s+\d+\s+1\s+-$/);
    const asJson = await bvault(withEndpoints('get', 'cli/a', '-w', 'json'));
    expect(json(asJson)).toMatchObject({ key: 'cli/a', value: 'hello', version: 1 });
    expect(json(await bvault(withEndpoints('del', 'cli/a', '-w', 'json')))).toMatchObject({ deleted: 1 });
    const missing = await bvault(withEndpoints('get', 'cli/a'));
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain('key not found: cli/a');
  });

  it('lists and deletes by prefix; takes the endpoints from BVAULT_ENDPOINTS', async () => {
    for (const name of ['x', 'y', 'z']) expect((await bvault(withEndpoints('put', `cli/list/${name}`, name))).code).toBe(0);
    const listed = await bvault(['list', 'cli/list/', '-w', 'json'], { BVAULT_ENDPOINTS: endpoints });
    expect(listed.code).toBe(0);
    expect((json(listed).kvs as { key: string }[]).map((kv) => kv.key)).toEqual(['cli/list/x', 'cli/list/y', 'cli/list/z']);
    const limited = await bvault(['list', 'cli/list/', '--limit', '2', '-w', 'json'], { BVAULT_ENDPOINTS: endpoints });
    expect(json(limited)).toMatchObject({ count: 2 });
    expect((json(limited).kvs as { key: string }[]).map((kv) => kv.key)).toEqual(['cli/list/x', 'cli/list/y']);
    expect((await bvault(withEndpoints('del', 'cli/list/', '--prefix'))).stdout).toBe('3\n');
  });

  it('puts a value read from stdin with - or from a file with --file, byte for byte', async () => {
    const large = Buffer.alloc(200 * 1024, 'v');
    const binary = Buffer.from([0, 255, 10, 13, 128]);
    expect((await bvault(withEndpoints('put', 'cli/stdin', '-'), {}, large)).code).toBe(0);
    const file = join(scratch, 'value.bin');
    await writeFile(file, binary);
    expect((await bvault(withEndpoints('put', 'cli/file', '--file', file))).code).toBe(0);
    const client = connect({ endpoints: endpoints.split(',') });
    try {
      expect((await client.get('cli/stdin'))?.value.equals(large)).toBe(true);
      expect((await client.get('cli/file'))?.value.equals(binary)).toBe(true);
    } finally {
      client.close();
    }
    const both = await bvault(withEndpoints('put', 'cli/file', 'text', '--file', file));
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('either as an argument or with --file, not both');
  });

  it('a put whose version condition fails exits 4 and changes nothing', async () => {
    await bvault(withEndpoints('put', 'cli/guarded', 'v1'));
    const refused = await bvault(withEndpoints('put', 'cli/guarded', 'v2', '--if-version', '7'));
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('API_PRECONDITION_FAILED');
    expect(json(await bvault(withEndpoints('get', 'cli/guarded', '-w', 'json')))).toMatchObject({ value: 'v1' });
  });

  it('runs a txn from a file: SUCCESS exits 0, FAILURE exits 4', async () => {
    await bvault(withEndpoints('put', 'cli/txn', '1'));
    const file = join(scratch, 'txn.yaml');
    await writeFile(file, 'compare:\n  - { key: cli/txn, value: "1", result: "=" }\nsuccess:\n  - put: { key: cli/txn, value: "2" }\nfailure:\n  - get: { key: cli/txn }\n');
    const first = await bvault(withEndpoints('txn', '--file', file));
    expect(first.code).toBe(0);
    expect(first.stdout.startsWith('SUCCESS\n')).toBe(true);
    const second = await bvault(withEndpoints('txn', '--file', file, '-w', 'json'));
    expect(second.code).toBe(4);
    expect(json(second)).toMatchObject({ succeeded: false, results: [{ type: 'get', kvs: [{ key: 'cli/txn', value: '2' }] }] });
    const seeds = join(scratch, 'seeds.yaml');
    await writeFile(seeds, 'operations:\n  - type: PUT\n    key: cli/txn\n    value: "3"\n    conditions:\n      - if_version_match: 2\n');
    expect((await bvault(withEndpoints('txn', '--file', seeds))).code).toBe(0);
  });

  it('watches from a revision and prints each event', async () => {
    const put = json(await bvault(withEndpoints('put', 'cli/watch', 'one', '-w', 'json')));
    await bvault(withEndpoints('put', 'cli/watch', 'two'));
    const watched = await bvault(withEndpoints('watch', 'cli/watch', '--rev', String(put.revision), '--count', '2'));
    expect(watched.code).toBe(0);
    expect(watched.stdout).toBe(`PUT\t${String(put.revision)}\tcli/watch\tone\nPUT\t${Number(put.revision) + 1}\tcli/watch\ttwo\n`);
  });

  it('grants, keeps alive, inspects and revokes a lease; an unknown lease exits 1', async () => {
    const granted = await bvault(withEndpoints('lease', 'grant', '30', '-w', 'json'));
    expect(granted.code).toBe(0);
    const id = String(json(granted).id);
    expect(id).toMatch(/^0x[0-9a-f]+$/);
    // The table prints the id the same way, and the decimal id (the REST API's) names the same lease.
    const table = await bvault(withEndpoints('lease', 'grant', '30'));
    const tableId = /^lease (0x[0-9a-f]+) granted with TTL\(30s\)\n$/.exec(table.stdout)?.[1] ?? '';
    expect(json(await bvault(withEndpoints('lease', 'timetolive', String(BigInt(tableId)), '-w', 'json')))).toMatchObject({ id: tableId, grantedTtlSeconds: 30 });
    expect((await bvault(withEndpoints('lease', 'revoke', tableId))).code).toBe(0);
    expect((await bvault(withEndpoints('put', 'cli/leased', 'v', '--lease', id))).code).toBe(0);
    const kept = await bvault(withEndpoints('lease', 'keep-alive', id, '--once'));
    expect(kept.stdout).toBe(`lease ${id} keepalived with TTL(30)\n`);
    const ttl = json(await bvault(withEndpoints('lease', 'timetolive', id, '--keys', '-w', 'json')));
    expect(ttl).toMatchObject({ id, grantedTtlSeconds: 30, keys: ['cli/leased'] });
    expect((await bvault(withEndpoints('lease', 'list'))).stdout).toContain(id);
    expect((await bvault(withEndpoints('lease', 'revoke', id))).stdout).toBe(`lease ${id} revoked\n`);
    expect((await bvault(withEndpoints('get', 'cli/leased'))).code).toBe(5);
    const unknown = await bvault(withEndpoints('lease', 'revoke', id));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('MVCC_LEASE_NOT_FOUND');
  });

  it('lists, adds and removes members; reports status and health; moves the leader', async () => {
    const listed = json(await bvault(withEndpoints('member', 'list', '-w', 'json'))).members as { id: string; name: string }[];
    expect(listed.map((member) => member.name).sort()).toEqual(['n1', 'n2', 'n3']);
    const added = await bvault(withEndpoints('member', 'add', 'n9', '--peer-address', '127.0.0.1:1'));
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/n9\s+127\.0\.0\.1:1\s+-\s+true/);
    const learnerId = /id (0x[0-9a-f]+) as a learner/.exec(added.stderr)?.[1] ?? '';
    expect(learnerId).not.toBe('');
    expect(added.stdout).toContain(learnerId);
    // The learner at an address nobody listens on never catches up (retry later: exit 3); the refusal names it as member list does.
    const promote = await bvault(withEndpoints('member', 'promote', learnerId));
    expect(promote.stderr).toContain(`member ${learnerId} has not caught up`);
    expect(promote.code).toBe(3);
    expect((await bvault(withEndpoints('member', 'remove', learnerId))).stdout).not.toContain('n9');

    const status = await bvault(withEndpoints('status', '-w', 'json'));
    expect(status.code).toBe(0);
    const rows = JSON.parse(status.stdout) as { endpoint: string; header: { memberId: string; leaderId: string } }[];
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((row) => row.header.leaderId)).size).toBe(1);
    const health = await bvault(withEndpoints('endpoint', 'health'));
    expect(health.code).toBe(0);
    expect(health.stdout.match(/is healthy/g)).toHaveLength(3);

    const follower = rows.find((row) => row.header.memberId !== row.header.leaderId);
    expect((await bvault(withEndpoints('move-leader', follower?.header.memberId ?? ''))).code).toBe(0);
  });

  it('saves a snapshot and restores it, with progress on stderr', async () => {
    await bvault(withEndpoints('put', 'cli/snapshot', 'before'));
    const file = join(scratch, 'backup.snapshot');
    const saved = await bvault(withEndpoints('snapshot', 'save', file));
    expect(saved.code).toBe(0);
    const size = (await stat(file)).size;
    expect(saved.stdout).toBe(`snapshot saved to ${file} (${size} bytes)\n`);
    expect(saved.stderr).toContain(`snapshot save: ${size} bytes`);
    await bvault(withEndpoints('put', 'cli/snapshot', 'after'));
    // Without a terminal to ask on, a restore needs --yes and changes nothing without it.
    const unconfirmed = await bvault(withEndpoints('snapshot', 'restore', file));
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('there is no terminal to confirm on, so add --yes to go ahead');
    expect(json(await bvault(withEndpoints('get', 'cli/snapshot', '-w', 'json')))).toMatchObject({ value: 'after' });
    const revisionBefore = Number(json(await bvault(withEndpoints('put', 'cli/snapshot', 'last', '-w', 'json'))).revision);
    const restored = await bvault(withEndpoints('snapshot', 'restore', file, '--yes'));
    expect(restored.code).toBe(0);
    // The revision moves on past every one seen before the restore; it never goes back.
    expect(Number(json(await bvault(withEndpoints('put', 'cli/snapshot-next', 'x', '-w', 'json'))).revision)).toBeGreaterThan(revisionBefore + 1);
    // A watch that resumes from a revision seen before the restore is told to relist.
    const resumed = await bvault(withEndpoints('watch', 'cli/snapshot', '--rev', String(revisionBefore)));
    expect(resumed.code).not.toBe(0);
    expect(resumed.stderr).toContain('MVCC_COMPACTED');
    expect(restored.stderr).toContain(`snapshot restore: ${size} bytes of ${size}`);
    expect(json(await bvault(withEndpoints('get', 'cli/snapshot', '-w', 'json')))).toMatchObject({ value: 'before' });
    expect((await readFile(file)).length).toBe(size);
  });

  it('exits 2 on a usage error and 3 when no endpoint answers, and health reports the dead endpoint', async () => {
    const usage = await bvault(withEndpoints('put', 'only-a-key'));
    expect(usage.code).toBe(2);
    // The one problem and the command's usage, not the help of every command.
    expect(usage.stderr).toMatch(/^bvault put: value is required\nUsage: bvault put <key> .*\n"bvault put --help" describes the flags\n$/);
    const help = await bvault(['put', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: bvault put <key>/);
    expect(help.stdout).not.toContain('bvault lease');
    expect((await bvault(['--endpoints', endpoints, '-w', 'json', 'get', 'cli/guarded'])).stdout).toContain('"value":"v1"');
    const unavailable = await bvault(['get', 'x', '--endpoints', '127.0.0.1:1', '--timeout-ms', '1500']);
    expect(unavailable.code).toBe(3);
    const health = await bvault(['endpoint', 'health', '--endpoints', `${endpoints.split(',')[0]},127.0.0.1:1`, '--timeout-ms', '1500', '-w', 'json']);
    expect(health.code).toBe(3);
    expect((JSON.parse(health.stdout) as { health: boolean }[]).map((item) => item.health)).toEqual([true, false]);
    expect((await bvault(['--help'])).stdout).toContain('6  outcome unknown');
  });
});
