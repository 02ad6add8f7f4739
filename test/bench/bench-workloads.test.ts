// Every `bvault bench` workload against a real three-member cluster, checked against what it
// did to the store: a successful put or txn raises the revision by one, a range leaves it
// alone, a watcher sees one event per put. No figure is asserted; timing is for the report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BenchOptions, parseBenchOptions } from '../../src/bench/bench-options.js';
import type { BenchResult } from '../../src/bench/bench-result.js';
import { runBench } from '../../src/bench/run-bench.js';
import { RangeRequest } from '../../src/generated/etcd/etcdserverpb/rpc.js';
import { type ServerProcess, TestCluster } from '../cluster/cluster-harness.js';
import { call, etcdClients } from '../etcd-compat/etcd-grpc-client.js';

let cluster: TestCluster;
let leader: ServerProcess;
let everyEndpoint: string;

beforeAll(async () => {
  cluster = await TestCluster.start({ size: 3, prefix: 'bench' });
  leader = await cluster.leader();
  everyEndpoint = cluster.members.map((member) => member.grpcAddress).join(',');
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

function options(...args: string[]): BenchOptions {
  const parsed = parseBenchOptions([...args, '--endpoints', everyEndpoint]);
  if (parsed === undefined) throw new Error('help was printed instead of options');
  return parsed;
}

/**
 * The store's revision as a linearizable read sees it. Not the leader's status: a put answered
 * by a follower may be applied there before the leader has applied it, so the leader's own
 * revision can lag what the workload was told and the difference comes out one short.
 */
async function revision(): Promise<number> {
  const clients = etcdClients(leader);
  try {
    const answer = await call(clients.kv.range.bind(clients.kv), RangeRequest.fromPartial({ key: Buffer.from([0]), limit: 1, countOnly: true }));
    return Number(answer.header?.revision ?? 0);
  } finally {
    clients.close();
  }
}

/** Runs the workload and returns its result with how far the revision moved meanwhile. */
async function measured(...args: string[]): Promise<{ result: BenchResult; revisionsAdded: number }> {
  const before = await revision();
  const result = await runBench(options(...args));
  return { result, revisionsAdded: (await revision()) - before };
}

function expectLatencies(result: BenchResult): void {
  const { p50, p90, p99, p999, max } = result.latencyMs;
  expect(p50).toBeGreaterThan(0);
  expect([p50, p90, p99, p999, max]).toEqual([p50, p90, p99, p999, max].sort((a, b) => a - b));
  expect(result.generatorCpu.userMs + result.generatorCpu.systemMs).toBeGreaterThan(0);
}

describe('bvault bench against a three-member cluster', () => {
  it('put: every put succeeds and raises the revision by one, over channels to every member', async () => {
    const { result, revisionsAdded } = await measured('put', '--total', '300', '--clients', '8', '--conns', '3', '--val-size', '256');
    expect(result).toMatchObject({ successful: 300, failed: 0, failedByCode: {}, successfulByKind: { put: 300 }, clients: 8, conns: 3 });
    expect(revisionsAdded).toBe(300);
    expectLatencies(result);
  });

  it('txn-put with several sequential puts per transaction writes exactly those keys, one revision per transaction', async () => {
    const { result, revisionsAdded } = await measured('txn-put', '--total', '25', '--txn-ops', '4', '--sequential-keys', '--key-space', '100', '--clients', '4', '--key-size', '6');
    expect(result).toMatchObject({ successful: 25, failed: 0, successfulByKind: { 'txn-put': 25 } });
    expect(revisionsAdded).toBe(25);
    const clients = etcdClients(leader);
    try {
      // Other tests' eight-byte keys sort into the same range; the six-byte ones are this run's.
      const answer = await call(clients.kv.range.bind(clients.kv), RangeRequest.fromPartial({ key: Buffer.from('000000'), rangeEnd: Buffer.from('000100'), keysOnly: true }));
      const written = answer.kvs.map((kv) => Buffer.from(kv.key).toString()).filter((key) => key.length === 6);
      expect(written).toEqual(Array.from({ length: 100 }, (_unused, index) => String(index).padStart(6, '0')));
    } finally {
      clients.close();
    }
  });

  it.each(['l', 's'])('range with --consistency %s reads without writing', async (consistency) => {
    const { result, revisionsAdded } = await measured('range', '--total', '300', '--clients', '8', '--conns', '3', '--consistency', consistency, '--key-space', '100');
    expect(result).toMatchObject({ successful: 300, failed: 0, successfulByKind: { range: 300 }, consistency: consistency === 'l' ? 'linearizable' : 'serializable' });
    expect(revisionsAdded).toBe(0);
    expectLatencies(result);
  });

  it('range with --range-keys reads that many consecutive keys each time, and writes nothing', async () => {
    const { result, revisionsAdded } = await measured('range', '--total', '100', '--clients', '4', '--range-keys', '5', '--key-space', '100', '--key-size', '6');
    expect(result).toMatchObject({ successful: 100, failed: 0, successfulByKind: { range: 100 } });
    expect(revisionsAdded).toBe(0);
    expectLatencies(result);
  });

  it('mixed: ranges and puts add up to the total and only the puts raise the revision', async () => {
    const { result, revisionsAdded } = await measured('mixed', '--total', '400', '--clients', '8');
    const { range = 0, put = 0 } = result.successfulByKind;
    expect(result.failed).toBe(0);
    expect(range + put).toBe(400);
    expect(range).toBeGreaterThan(put);
    expect(revisionsAdded).toBe(put);
  });

  it('watch-latency: every watcher sees one event per put', async () => {
    const { result, revisionsAdded } = await measured('watch-latency', '--total', '20', '--clients', '3', '--conns', '2');
    expect(result).toMatchObject({ successful: 60, failed: 0, successfulByKind: { put: 20, event: 60 } });
    expect(revisionsAdded).toBe(20);
    expectLatencies(result);
  });

  it('--duration runs for about that long and counts every put it made', async () => {
    const { result, revisionsAdded } = await measured('put', '--duration', '1s', '--clients', '4');
    expect(result.failed).toBe(0);
    expect(result.successful).toBeGreaterThan(0);
    expect(revisionsAdded).toBe(result.successful);
    expect(result.elapsedSeconds).toBeGreaterThanOrEqual(1);
  });
});
