// What a run measured: a latency histogram (HDR, microsecond resolution), successes per
// operation kind, failures per gRPC code, wall time and the generator's own CPU time — and
// the two ways of printing it, a text report for people and one JSON object for scripts.
import { status as grpcStatus } from '@grpc/grpc-js';
import * as hdr from 'hdr-histogram-js';
import type { BenchOptions } from './bench-options.js';

const MICROSECONDS_PER_MS = 1_000;

export class BenchRecorder {
  private readonly histogram = hdr.build({ bitBucketSize: 64, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3 });
  readonly successes = new Map<string, number>();
  readonly failures = new Map<string, number>();
  private startedAtMs = 0;
  private startedCpu: NodeJS.CpuUsage = { user: 0, system: 0 };

  start(): void {
    this.startedAtMs = performance.now();
    this.startedCpu = process.cpuUsage();
  }

  /** Operations finished so far, successful or not. */
  get completed(): number {
    return this.histogram.totalCount + this.failed;
  }

  get failed(): number {
    return sum(this.failures);
  }

  recordSuccess(kind: string, latencyMs: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(latencyMs * MICROSECONDS_PER_MS)));
    this.countSuccess(kind);
  }

  /** Counts a success that has no latency sample of its own (watch-latency's puts). */
  countSuccess(kind: string): void {
    this.successes.set(kind, (this.successes.get(kind) ?? 0) + 1);
  }

  /** `code` is a gRPC status number, or a name for failures that are not a status. */
  recordFailure(code: number | string): void {
    const name = typeof code === 'number' ? (grpcStatus[code] ?? `CODE_${code}`) : code;
    this.failures.set(name, (this.failures.get(name) ?? 0) + 1);
  }

  finish(options: BenchOptions): BenchResult {
    const elapsedMs = performance.now() - this.startedAtMs;
    const cpu = process.cpuUsage(this.startedCpu);
    const cpuMs = (cpu.user + cpu.system) / MICROSECONDS_PER_MS;
    const successful = this.histogram.totalCount;
    const percentile = (value: number): number => this.histogram.getValueAtPercentile(value) / MICROSECONDS_PER_MS;
    const result: BenchResult = {
      workload: options.workload,
      target: options.target,
      endpoints: options.endpoints,
      conns: options.conns,
      clients: options.clients,
      keySizeBytes: options.keySizeBytes,
      valueSizeBytes: options.valueSizeBytes,
      keySpace: options.keySpace,
      consistency: options.serializable ? 'serializable' : 'linearizable',
      successful,
      successfulByKind: Object.fromEntries(this.successes),
      failed: this.failed,
      failedByCode: Object.fromEntries(this.failures),
      elapsedSeconds: elapsedMs / 1_000,
      throughputPerSecond: successful / (elapsedMs / 1_000),
      latencyMs: { p50: percentile(50), p90: percentile(90), p99: percentile(99), p999: percentile(99.9), max: percentile(100), mean: this.histogram.mean / MICROSECONDS_PER_MS },
      generatorCpu: { userMs: cpu.user / MICROSECONDS_PER_MS, systemMs: cpu.system / MICROSECONDS_PER_MS, percentOfOneCore: (100 * cpuMs) / elapsedMs },
    };
    this.histogram.destroy();
    return result;
  }
}

export interface BenchResult {
  readonly workload: string;
  readonly target: string;
  readonly endpoints: readonly string[];
  readonly conns: number;
  readonly clients: number;
  readonly keySizeBytes: number;
  readonly valueSizeBytes: number;
  readonly keySpace: number;
  readonly consistency: 'linearizable' | 'serializable';
  /** Operations that succeeded (for watch-latency: events received). */
  readonly successful: number;
  readonly successfulByKind: Readonly<Record<string, number>>;
  readonly failed: number;
  readonly failedByCode: Readonly<Record<string, number>>;
  readonly elapsedSeconds: number;
  readonly throughputPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly p999: number; readonly max: number; readonly mean: number };
  /** The load generator's own CPU time over the run: it shares the machine with the servers. */
  readonly generatorCpu: { readonly userMs: number; readonly systemMs: number; readonly percentOfOneCore: number };
}

const TARGET_NAMES: Readonly<Record<string, string>> = { beaver: 'Beaver-Vault', etcd: 'etcd' };

export function renderReport(result: BenchResult): string {
  const milliseconds = (value: number): string => `${value.toFixed(2)} ms`;
  const { latencyMs: latency, generatorCpu: cpu } = result;
  const failures = Object.entries(result.failedByCode).map(([code, count]) => `${code} ${count}`).join(', ');
  const kinds = Object.entries(result.successfulByKind).map(([kind, count]) => `${kind} ${count}`).join(', ');
  return [
    `${result.workload} against ${TARGET_NAMES[result.target] ?? result.target} (${result.endpoints.join(',')}): ${result.clients} clients over ${result.conns} conns, key ${result.keySizeBytes} B, value ${result.valueSizeBytes} B, key space ${result.keySpace}${result.workload === 'range' || result.workload === 'mixed' ? `, ${result.consistency}` : ''}`,
    `  throughput   ${Math.round(result.throughputPerSecond).toLocaleString('en-US')} ops/s (${result.successful} succeeded in ${result.elapsedSeconds.toFixed(2)} s${kinds === '' ? '' : `: ${kinds}`})`,
    `  errors       ${result.failed}${failures === '' ? '' : ` (${failures})`}`,
    `  latency      p50 ${milliseconds(latency.p50)}  p90 ${milliseconds(latency.p90)}  p99 ${milliseconds(latency.p99)}  p99.9 ${milliseconds(latency.p999)}  max ${milliseconds(latency.max)}`,
    `  generator    ${((cpu.userMs + cpu.systemMs) / 1_000).toFixed(2)} s CPU (user ${(cpu.userMs / 1_000).toFixed(2)} s, system ${(cpu.systemMs / 1_000).toFixed(2)} s), ${cpu.percentOfOneCore.toFixed(0)}% of one core`,
  ].join('\n') + '\n';
}

function sum(counts: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const count of counts.values()) total += count;
  return total;
}
