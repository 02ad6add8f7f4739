// `bvault bench --user` against a member with authentication on, set up as the security
// benchmark sets up its auth variant: with the user, every put is let in; without a token, or
// with a wrong password, every put is refused and counted, so a benchmark of auth cannot
// silently measure refusals.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBenchOptions } from '../../src/bench/bench-options.js';
import type { BenchResult } from '../../src/bench/bench-result.js';
import { runBench } from '../../src/bench/run-bench.js';
import { setUpVariant, type SecurityVariant } from '../../bench/security-variants.js';
import { type ServerProcess, temporaryDirectory, TestCluster } from '../cluster/cluster-harness.js';

const PUTS = 20;

let cluster: TestCluster;
let leader: ServerProcess;
let variant: SecurityVariant;
let variantFiles: string;

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 1, prefix: 'bench-auth' });
  leader = await cluster.leader();
  variantFiles = await temporaryDirectory('bench-auth-files');
  variant = await setUpVariant('auth', variantFiles);
  await variant.afterStart?.(leader);
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
  if (variantFiles !== undefined) await rm(variantFiles, { recursive: true, force: true });
});

async function puts(...args: string[]): Promise<BenchResult> {
  const options = parseBenchOptions(['put', '--endpoints', leader.grpcAddress, '--clients', '4', '--total', String(PUTS), ...args]);
  if (options === undefined) throw new Error('help was printed instead of options');
  return runBench(options);
}

describe('bvault bench --user with authentication on', () => {
  it('sends the user\'s token with every put, and every put is let in', async () => {
    expect(variant.benchArgs[0]).toBe('--user');
    const result = await puts(...variant.benchArgs);
    expect(result.failed).toBe(0);
    expect(result.successful).toBe(PUTS);
  });

  // After the run with a user, in the same process: a token must not outlive the run that got it.
  it('without a user every put is refused and counted', async () => {
    const result = await puts();
    expect(result.failed).toBe(PUTS);
  });

  it('with a wrong password every put is refused and counted', async () => {
    const result = await puts('--user', 'bench:wrong-password');
    expect(result.failed).toBe(PUTS);
  });
});
