// `bvault bench <workload>`: the load generator of src/bench as a command, with its report on
// stdout (text, or one JSON object with --json) and an exit code a script can act on.
import { BENCH_USAGE, BenchUsageError, parseBenchOptions } from '../../bench/bench-options.js';
import { renderReport } from '../../bench/bench-result.js';
import { BenchConnectError } from '../../bench/load-channels.js';
import { runBench } from '../../bench/run-bench.js';

export const BENCH_EXIT_CODES = {
  ok: 0,
  /** The run finished but some requests failed; the report counts them by gRPC code. */
  requestsFailed: 1,
  usage: 2,
  /** An endpoint could not be reached; nothing was sent. */
  unreachable: 3,
} as const;

export async function runBenchCommand(args: readonly string[]): Promise<number> {
  let options;
  try {
    options = parseBenchOptions(args);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    process.stderr.write(`bvault bench: ${error.message}\n\n${BENCH_USAGE}\n`);
    return BENCH_EXIT_CODES.usage;
  }
  if (options === undefined) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return BENCH_EXIT_CODES.ok;
  }
  try {
    const result = await runBench(options);
    process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : renderReport(result));
    return result.failed === 0 ? BENCH_EXIT_CODES.ok : BENCH_EXIT_CODES.requestsFailed;
  } catch (error) {
    if (!(error instanceof BenchConnectError)) throw error;
    process.stderr.write(`bvault bench: ${error.message}\n`);
    return BENCH_EXIT_CODES.unreachable;
  }
}
