// bench:compare's arithmetic and its file handling: medians over rounds, the ratios in the
// table, and a rewrite of docs/benchmarks.md that keeps everything outside its markers.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BEAVER, comparisonTable, ETCD, median, writeComparisonSection } from '../../bench/compare-report.js';
import type { ComparedResult } from '../../bench/compare-workloads.js';
import { temporaryDirectory } from '../cluster/cluster-harness.js';

function result(throughputPerSecond: number, p99: number, failed = 0, serverCpuMs = 1_000): ComparedResult {
  return {
    workload: 'put', target: 'beaver', endpoints: [], conns: 1, clients: 1, keySizeBytes: 8, valueSizeBytes: 256, keySpace: 10, consistency: 'linearizable',
    successful: throughputPerSecond, successfulByKind: {}, failed, failedByCode: {}, elapsedSeconds: 1, throughputPerSecond, serverCpuMs,
    latencyMs: { p50: 1, p90: 1, p99, p999: p99, max: p99, mean: 1 }, generatorCpu: { userMs: 1, systemMs: 1, percentOfOneCore: 50 },
  };
}

describe('bench:compare report', () => {
  it('takes the median of odd and even counts of rounds', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('shows each system\'s median throughput, p99 and servers\' CPU per operation, their ratios and the errors summed over rounds', () => {
    const rounds = new Map([
      [BEAVER, [result(900, 12), result(1_100, 10, 2), result(1_000, 30)]],
      [ETCD, [result(2_000, 5, 0, 600), result(2_100, 6, 0, 840), result(1_900, 4, 0, 380)]],
    ]);
    const row = comparisonTable([{ workload: 'put, 64 clients', endpoints: 'leader', rounds }]).split('\n')[2];
    expect(row).toBe('| put, 64 clients | leader | 1,000 | 2,000 | 0.50× | 12.00 | 5.00 | 2.40× | 2 / 0 | 1,000 / 300 | 50 / 50 |');
  });

  it('replaces only its own section of an existing file, and appends one where there is none', async () => {
    const directory = await temporaryDirectory('compare-report');
    const path = join(directory, 'benchmarks.md');
    const fresh = (marked: string): string => `# Benchmarks\n\n${marked}\n`;
    await writeFile(path, '# Benchmarks\n\nNotes by hand.\n');
    await writeComparisonSection(path, 'first table', fresh);
    await writeFile(path, (await readFile(path, 'utf8')) + '\nMore notes after.\n');
    await writeComparisonSection(path, 'second table', fresh);
    const text = await readFile(path, 'utf8');
    expect(text).toContain('Notes by hand.');
    expect(text).toContain('More notes after.');
    expect(text).toContain('second table');
    expect(text).not.toContain('first table');
    await rm(directory, { recursive: true, force: true });
  });
});
