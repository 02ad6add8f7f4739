// `npm run bench:cluster -- --compare-with tls,auth,encryption`: put throughput with each
// security feature as a ratio to the plain server, measured in one run. A plain three-member
// cluster and one per variant run side by side; each round puts the same load (etcd's Put from
// `bvault bench`, 64 clients over 8 gRPC channels, to the leader) on every cluster in turn, the
// order rotating from round to round so that a shared machine's drifting load falls evenly.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseBenchOptions } from '../src/bench/bench-options.js';
import { runBench } from '../src/bench/run-bench.js';
import { temporaryDirectory, TestCluster, type ServerProcess } from '../test/cluster/cluster-harness.js';
import { setUpVariant, type SecurityVariantName } from './security-variants.js';

const VALUE_BYTES = 256;
const GRPC_CONNS = 8;
/**
 * Puts each cluster takes, unrecorded, before the first round: a member's first seconds under
 * load run partly unoptimised by V8, which would fall on whichever cluster round 1 loads first.
 */
const WARMUP_PUTS = 2_000;

export interface SecurityComparisonOptions {
  readonly variants: readonly SecurityVariantName[];
  readonly rounds: number;
  readonly putsPerRound: number;
  readonly clients: number;
}

interface Measured {
  readonly name: 'plain' | SecurityVariantName;
  readonly leader: ServerProcess;
  readonly benchArgs: readonly string[];
  readonly putsPerSecond: number[];
}

export async function compareSecurityVariants(options: SecurityComparisonOptions): Promise<void> {
  const directory = await temporaryDirectory('bench-security-files');
  const clusters: TestCluster[] = [];
  const stops: Array<() => Promise<void>> = [];
  try {
    console.log(`starting ${options.variants.length + 1} 3-member clusters on loopback, plain and ${options.variants.join(', ')} (servers from ${process.env.BVAULT_SERVER_ENTRY ?? 'source, through tsx'})...`);
    const plainCluster = await TestCluster.start({ size: 3, prefix: 'bench-plain' });
    clusters.push(plainCluster);
    const measured: Measured[] = [{ name: 'plain', leader: await plainCluster.leader(), benchArgs: [], putsPerSecond: [] }];
    for (const name of options.variants) {
      const variant = await setUpVariant(name, join(directory, name));
      if (variant.stop !== undefined) stops.push(variant.stop);
      const cluster = await TestCluster.start({ size: 3, prefix: `bench-${name}`, extraArgs: variant.serverArgs, memberOptions: () => variant.memberOptions ?? {} });
      clusters.push(cluster);
      const leader = await cluster.leader();
      await variant.afterStart?.(leader);
      measured.push({ name, leader, benchArgs: variant.benchArgs, putsPerSecond: [] });
    }
    console.log(`warming up: ${WARMUP_PUTS} puts to each cluster, unrecorded`);
    for (const configuration of measured) await putThroughput(configuration, { ...options, putsPerRound: WARMUP_PUTS });
    for (let round = 1; round <= options.rounds; round++) {
      const shift = (round - 1) % measured.length;
      for (const configuration of [...measured.slice(shift), ...measured.slice(0, shift)]) {
        configuration.putsPerSecond.push(await putThroughput(configuration, options));
        console.log(`round ${round} ${configuration.name.padEnd(10)}: ${format(configuration.putsPerSecond.at(-1) as number)} puts/s`);
      }
      const plain = measured[0] as Measured;
      console.log(`round ${round} ratios to plain: ${measured.slice(1).map((variant) => `${variant.name} ${((variant.putsPerSecond.at(-1) as number) / (plain.putsPerSecond.at(-1) as number)).toFixed(3)}`).join(', ')}`);
    }
    report(measured, options);
  } finally {
    await Promise.all(clusters.map((cluster) => cluster.destroy()));
    await Promise.all(stops.map((stop) => stop()));
    await rm(directory, { recursive: true, force: true });
  }
}

async function putThroughput(configuration: Measured, options: SecurityComparisonOptions): Promise<number> {
  const benchOptions = parseBenchOptions([
    'put', '--endpoints', configuration.leader.grpcAddress, '--conns', String(GRPC_CONNS), '--clients', String(options.clients),
    '--total', String(options.putsPerRound), '--val-size', String(VALUE_BYTES), ...configuration.benchArgs,
  ]);
  if (benchOptions === undefined) throw new Error('bench options were not parsed');
  const result = await runBench(benchOptions);
  if (result.failed > 0) throw new Error(`${result.failed} puts failed on the ${configuration.name} cluster: ${JSON.stringify(result.failedByCode)}`);
  return result.throughputPerSecond;
}

/**
 * Per variant, the median of each round's own ratio (a round's runs are seconds apart, so a
 * drifting load moves both sides of it alike) and the ratio of the medians.
 */
function report(measured: readonly Measured[], options: SecurityComparisonOptions): void {
  const [plain, ...variants] = measured as [Measured, ...Measured[]];
  console.log(`put throughput, ${options.clients} clients over ${GRPC_CONNS} gRPC channels, ${options.putsPerRound} puts of ${VALUE_BYTES} B to the leader per round, ${options.rounds} rounds:`);
  console.log(`  plain: median ${format(median(plain.putsPerSecond))} puts/s`);
  for (const variant of variants) {
    const pairedRatio = median(variant.putsPerSecond.map((value, round) => value / (plain.putsPerSecond[round] as number)));
    const ratioOfMedians = median(variant.putsPerSecond) / median(plain.putsPerSecond);
    console.log(`  ${variant.name}: median ${format(median(variant.putsPerSecond))} puts/s; ${variant.name}/plain: median of the rounds' ratios ${pairedRatio.toFixed(3)}, ratio of the medians ${ratioOfMedians.toFixed(3)}`);
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function format(perSecond: number): string {
  return Math.round(perSecond).toLocaleString('en-US');
}
