// How long each step of a member's start took. Some steps grow with the data (replaying the
// WAL, opening LevelDB, rebuilding the member table from the log), so an operator who sees a
// slow restart needs to know which one: the times go on the 'node started' log line and on
// /metrics (bvault_server_startup_step_seconds{step}), not only into a benchmark.
import { Gauge, type Registry } from 'prom-client';

export const STARTUP_STEP_METRIC = 'bvault_server_startup_step_seconds';

export class StartupSteps {
  private readonly startedMs = performance.now();
  // Invariant: in the order the steps ran; each step is timed once.
  private readonly stepsMs = new Map<string, number>();

  /** Runs `work` as the step `name` and records how long it took, also when it fails. */
  async time<T>(name: string, work: () => Promise<T>): Promise<T> {
    const startedMs = performance.now();
    try {
      return await work();
    } finally {
      this.record(name, performance.now() - startedMs);
    }
  }

  timeSync<T>(name: string, work: () => T): T {
    const startedMs = performance.now();
    try {
      return work();
    } finally {
      this.record(name, performance.now() - startedMs);
    }
  }

  /** Each step's milliseconds, to 0.1 ms, and the total since this object was made. */
  summary(): Record<string, number> {
    const summary: Record<string, number> = {};
    for (const [name, milliseconds] of this.stepsMs) summary[name] = roundTenth(milliseconds);
    summary.total = roundTenth(performance.now() - this.startedMs);
    return summary;
  }

  /** Registers each step's time, and the total so far, on `registry`. */
  register(registry: Registry): void {
    const gauge = new Gauge({
      name: STARTUP_STEP_METRIC,
      help: 'Time each step of this member\'s start took, and the total from opening the data directory to starting the node (step "total").',
      labelNames: ['step'],
      registers: [registry],
    });
    for (const [step, milliseconds] of Object.entries(this.summary())) gauge.set({ step }, milliseconds / 1000);
  }

  private record(name: string, milliseconds: number): void {
    if (this.stepsMs.has(name)) throw new Error(`start-up step ${name} was timed twice`);
    this.stepsMs.set(name, milliseconds);
  }
}

function roundTenth(milliseconds: number): number {
  return Math.round(milliseconds * 10) / 10;
}
