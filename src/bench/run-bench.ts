// One benchmark run: open the channels, run the workload under its budget with a progress
// bar, and return what was measured.
import type { BenchOptions } from './bench-options.js';
import { BenchRecorder, type BenchResult } from './bench-result.js';
import { LoadChannels } from './load-channels.js';
import { RunBudget, RunProgress } from './run-budget.js';
import { runUnaryWorkload } from './unary-workloads.js';
import { runWatchLatencyWorkload } from './watch-latency-workload.js';

/** Runs the workload; throws BenchConnectError when an endpoint cannot be reached. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const channels = await LoadChannels.open(options.endpoints, options.conns, options.tls, options.user, options.requestTimeoutMs);
  const recorder = new BenchRecorder();
  const budget = new RunBudget(options.total, options.durationMs);
  // watch-latency's --total counts puts; every other workload's counts operations.
  const progressValue = options.workload === 'watch-latency' ? () => recorder.successes.get('put') ?? 0 : () => recorder.completed;
  const progress = new RunProgress(options, progressValue);
  const failures = (): number => recorder.failed;
  try {
    recorder.start();
    budget.start();
    progress.start(failures);
    if (options.workload === 'watch-latency') await runWatchLatencyWorkload(options, channels, budget, recorder);
    else await runUnaryWorkload(options, channels, budget, recorder);
    progress.stop(failures());
    return recorder.finish(options);
  } finally {
    channels.close();
  }
}
