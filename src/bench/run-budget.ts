// How long a run goes on: a number of operations handed out to the clients one at a time, or
// a deadline; and the progress bar on stderr that shows how far it is.
import cliProgress from 'cli-progress';
import type { BenchOptions } from './bench-options.js';

const PROGRESS_REDRAW_INTERVAL_MS = 200;
/** Outside a terminal the bar prints a plain line this often instead of redrawing. */
const PROGRESS_LINE_INTERVAL_MS = 5_000;

export class RunBudget {
  private granted = 0;
  private deadlineMs = Infinity;

  constructor(
    private readonly total: number | undefined,
    private readonly durationMs: number | undefined,
  ) {}

  start(): void {
    if (this.durationMs !== undefined) this.deadlineMs = performance.now() + this.durationMs;
  }

  /** Claims one more operation; false once the total is handed out or the time is up. */
  take(): boolean {
    if (this.total !== undefined) return this.granted++ < this.total;
    return performance.now() < this.deadlineMs;
  }
}

/** A bar of operations done (or of seconds, for a --duration run), redrawn on a timer so the hot path never touches it. */
export class RunProgress {
  private readonly bar: cliProgress.SingleBar;
  private timer: NodeJS.Timeout | undefined;
  /** What the bar shows: operations done, or whole seconds elapsed. */
  private value: () => number = () => 0;

  constructor(
    private readonly options: BenchOptions,
    private readonly completed: () => number,
  ) {
    const unit = options.total === undefined ? 's' : options.workload === 'watch-latency' ? 'puts' : 'ops';
    this.bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: `${options.workload} [{bar}] {percentage}% {value}/{total} ${unit}, {errors} errors`, hideCursor: true, noTTYOutput: true, notTTYSchedule: PROGRESS_LINE_INTERVAL_MS },
      cliProgress.Presets.shades_classic,
    );
  }

  start(errors: () => number): void {
    const startedAtMs = performance.now();
    const total = this.options.total ?? Math.ceil((this.options.durationMs ?? 0) / 1_000);
    this.value = () => (this.options.total === undefined ? Math.min(total, Math.floor((performance.now() - startedAtMs) / 1_000)) : this.completed());
    this.bar.start(total, 0, { errors: 0 });
    this.timer = setInterval(() => this.bar.update(this.value(), { errors: errors() }), PROGRESS_REDRAW_INTERVAL_MS);
    this.timer.unref();
  }

  stop(errors: number): void {
    clearInterval(this.timer);
    this.bar.update(this.value(), { errors });
    this.bar.stop();
  }
}
