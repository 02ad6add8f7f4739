// `bvault bench` as a process: bad options are refused with a message that says what to
// change (exit 2), an endpoint nobody listens on is named (exit 3), and --json prints one
// object a script can read.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchUsageError, parseBenchOptions } from '../../src/bench/bench-options.js';
import { freePort, REPOSITORY_ROOT, TestCluster } from '../cluster/cluster-harness.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const RUN_TIMEOUT_MS = 30_000;

async function bvaultBench(args: readonly string[]): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPOSITORY_ROOT, 'src/cli/main.ts'), 'bench', ...args], { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

describe('bvault bench options', () => {
  it.each([
    [['nope'], /unknown workload "nope": use one of put, range, txn-put, watch-latency, mixed/],
    [[], /a workload is required/],
    [['put', '--clients', '0'], /--clients must be a positive integer, got "0"/],
    [['put', '--total', '10', '--duration', '1s'], /give --total or --duration, not both/],
    [['put', '--duration', 'soon'], /--duration must be a positive time such as 30s/],
    [['range', '--consistency', 'x'], /--consistency must be l or s, got "x"/],
    [['put', '--target', 'zookeeper'], /--target must be beaver or etcd/],
    [['put', '--endpoints', 'localhost'], /"localhost" is not host:port/],
    [['put', '--key-size', '2', '--key-space', '1000'], /--key-space 1000 needs keys longer than --key-size 2/],
    [['put', '--txn-ops', '3'], /--txn-ops applies to txn-put only/],
    [['txn-put', '--txn-ops', '8', '--key-space', '4'], /--txn-ops 8 needs at least as many keys/],
    [['put', '--range-keys', '4'], /--range-keys applies to range and mixed only/],
    [['range', '--range-keys', '50', '--key-space', '10'], /--range-keys 50 is more than the --key-space of 10/],
    [['range', '--range-keys', '0'], /--range-keys must be a positive integer, got "0"/],
    [['put', '--user', 'bench'], /--user takes name:password, both non-empty, got "bench"/],
    [['put', '--user', ':secret'], /--user takes name:password, both non-empty, got ":…"/],
    [['put', '--user', 'bench:'], /--user takes name:password, both non-empty, got "bench:…"/],
    [['put', '--bogus'], /Unknown option '--bogus'/],
  ])('refuses %j', (args, message) => {
    expect(() => parseBenchOptions(args)).toThrow(BenchUsageError);
    expect(() => parseBenchOptions(args)).toThrow(message);
  });

  it('takes etcd\'s defaults for an etcd target', () => {
    expect(parseBenchOptions(['put', '--target', 'etcd'])).toMatchObject({ endpoints: ['127.0.0.1:2379'], total: 10_000, keySizeBytes: 8, valueSizeBytes: 8, conns: 1, clients: 1 });
    expect(parseBenchOptions(['range', '--duration', '1.5s', '--consistency', 's'])).toMatchObject({ endpoints: ['127.0.0.1:9090'], total: undefined, durationMs: 1_500, serializable: true });
  });

  it('a bad option exits 2 with the message and the usage on stderr, sending nothing', async () => {
    const run = await bvaultBench(['put', '--clients', 'many']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('bvault bench: --clients must be a positive integer, got "many"');
    expect(run.stderr).toContain('Usage: bvault bench <workload>');
    expect(run.stdout).toBe('');
  });

  it('an endpoint nobody listens on exits 3 and names it', async () => {
    const port = await freePort();
    const run = await bvaultBench(['put', '--total', '5', '--endpoints', `127.0.0.1:${port}`]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`cannot connect to 127.0.0.1:${port}`);
  });
});

describe('bvault bench output', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start({ size: 3, prefix: 'bench-cli' });
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
  });

  it('--json prints one object with the counts, the percentiles and the generator\'s CPU', async () => {
    const leader = await cluster.leader();
    const run = await bvaultBench(['put', '--total', '40', '--clients', '4', '--json', '--endpoints', leader.grpcAddress]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ workload: 'put', target: 'beaver', successful: 40, failed: 0, endpoints: [leader.grpcAddress] });
    expect(Object.keys(result.latencyMs as object)).toEqual(['p50', 'p90', 'p99', 'p999', 'max', 'mean']);
    expect(Object.keys(result.generatorCpu as object)).toEqual(['userMs', 'systemMs', 'percentOfOneCore']);
  });

  it('the text report names the target, the throughput, the errors and the percentiles', async () => {
    const run = await bvaultBench(['range', '--total', '40', '--clients', '4', '--target', 'etcd', '--endpoints', cluster.members.map((member) => member.grpcAddress).join(',')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^range against etcd \(/);
    expect(run.stdout).toMatch(/throughput\s+[\d,]+ ops\/s \(40 succeeded/);
    expect(run.stdout).toMatch(/errors\s+0\n/);
    expect(run.stdout).toMatch(/latency\s+p50 [\d.]+ ms {2}p90 [\d.]+ ms {2}p99 [\d.]+ ms {2}p99\.9 [\d.]+ ms {2}max [\d.]+ ms/);
  });
});
