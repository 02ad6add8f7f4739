// `npm run jepsen -- --nodes 5 --time 60 --faults kill,pause,partition,membership --seed S`
// (also --clients N, --keep, --faults all, --heal-timeout S): one fault-injection run with a progress bar on
// stderr, then the report on stdout. Exit code 1 when a check fails or the run crashes; the
// report then names the run directory that was kept.
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { FAULT_KINDS, type FaultKind } from './faults/nemesis.js';
import { formatReport } from './jepsen-report.js';
import { type JepsenOptions, type JepsenProgress, runJepsen } from './run-jepsen.js';

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${flag} takes a positive integer, got "${text}"`);
  return value;
}

function parseFaults(text: string): FaultKind[] {
  if (text === 'all') return [...FAULT_KINDS];
  if (text === 'none' || text === '') return [];
  const faults = text.split(',').map((part) => part.trim());
  const unknown = faults.filter((fault) => !(FAULT_KINDS as readonly string[]).includes(fault));
  if (unknown.length > 0) throw new Error(`unknown fault ${unknown.join(', ')}; the faults are ${FAULT_KINDS.join(', ')}, or all, or none`);
  return faults as FaultKind[];
}

function parseOptions(): Omit<JepsenOptions, 'onProgress'> {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '5' },
      time: { type: 'string', default: '60' },
      faults: { type: 'string', default: 'all' },
      seed: { type: 'string' },
      clients: { type: 'string', default: '10' },
      keep: { type: 'boolean', default: false },
      'heal-timeout': { type: 'string' },
    },
  });
  return {
    nodes: positiveInteger('--nodes', values.nodes),
    timeSeconds: positiveInteger('--time', values.time),
    faults: parseFaults(values.faults),
    seed: values.seed === undefined ? Math.floor(Math.random() * 1_000_000) : positiveInteger('--seed', values.seed),
    clients: positiveInteger('--clients', values.clients),
    keep: values.keep,
    ...(values['heal-timeout'] === undefined ? {} : { healTimeoutSeconds: positiveInteger('--heal-timeout', values['heal-timeout']) }),
  };
}

function progressBar(): { readonly update: (progress: JepsenProgress) => void; readonly stop: () => void } {
  const bar = new cliProgress.SingleBar(
    { format: '{phase} {bar} {seconds}/{total} s | ops {operations} ok {ok} fail {fail} info {info} | {faults}', stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (progress) => {
      const { ok, fail, info } = progress.counts;
      const values = { phase: progress.phase.padEnd(8), seconds: Math.floor(progress.elapsedMs / 1000), operations: ok + fail + info, ok, fail, info, faults: progress.activeFaults.join('; ') || 'no fault' };
      const totalSeconds = Math.round(progress.totalMs / 1000);
      if (!started) bar.start(totalSeconds, 0, values);
      started = true;
      bar.update(Math.min(totalSeconds, values.seconds), values);
    },
    stop: () => bar.stop(),
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  console.error(`seed ${options.seed} (the workload and the fault schedule draw from it)`);
  const bar = progressBar();
  try {
    const report = await runJepsen({ ...options, onProgress: bar.update });
    bar.stop();
    console.log(formatReport(report));
    process.exitCode = report.passed ? 0 : 1;
  } catch (error) {
    bar.stop();
    throw error;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
