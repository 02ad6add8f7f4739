// The nemesis: injects faults into a JepsenCluster while the workload runs, in cycles driven by
// the run's seeded generator — pick a fault (each kind once per round), start it, hold it
// 2–8 s, stop it, stay quiet 1–4 s — until aborted. When membership changes are among the
// faults, some cycles change the membership while the other fault is active, as the issue
// asks. Every fault it started is ended before run() resolves.

import type { JepsenCluster } from '../cluster/jepsen-cluster.js';
import { FAULT_KINDS, FAULT_STARTERS, type ActiveFault, type FaultKind } from './fault-starters.js';
import { between } from './random-choice.js';

export { FAULT_KINDS, type FaultKind } from './fault-starters.js';

export interface FaultEvent {
  /** On the caller's clock (NemesisOptions.clock), so it lines up with the history. */
  readonly atMs: number;
  readonly kind: FaultKind;
  /** A fault that could not be started or stopped is a 'stop' event whose description begins `failed`. */
  readonly phase: 'start' | 'stop';
  readonly description: string;
}

export interface NemesisOptions {
  readonly faults: readonly FaultKind[];
  readonly random: () => number;
  readonly onEvent?: (event: FaultEvent) => void;
  readonly clock?: () => number;
}

const FAULT_HOLD_MS_MIN = 2_000;
const FAULT_HOLD_MS_MAX = 8_000;
const QUIET_MS_MIN = 1_000;
const QUIET_MS_MAX = 4_000;
/** How often a cycle also changes the membership while its other fault is active. */
const MEMBERSHIP_DURING_FAULT_PROBABILITY = 0.3;

export class Nemesis {
  private readonly recorded: FaultEvent[] = [];
  /** The kinds not yet injected in the current round. */
  private readonly round: FaultKind[] = [];
  private readonly clock: () => number;

  constructor(
    private readonly cluster: JepsenCluster,
    private readonly options: NemesisOptions,
  ) {
    if (options.faults.length === 0) throw new Error('the nemesis needs at least one kind of fault');
    const unknown = options.faults.filter((kind) => !(kind in FAULT_STARTERS));
    if (unknown.length > 0) throw new Error(`unknown faults ${unknown.join(', ')}; the faults are ${Object.keys(FAULT_STARTERS).join(', ')}`);
    if (options.faults.includes('clock') && !cluster.canJumpClocks) {
      throw new Error('the clock fault needs libfaketime, which is not installed: apt-get install faketime, or leave clock out of the faults');
    }
    this.clock = options.clock ?? (() => performance.now());
  }

  get events(): readonly FaultEvent[] {
    return this.recorded;
  }

  /** How many faults of each kind were started. */
  counts(): Readonly<Record<FaultKind, number>> {
    const counts = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
    for (const event of this.recorded) if (event.phase === 'start') counts[event.kind]++;
    return counts;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { random } = this.options;
    while (!signal.aborted) {
      const active = await this.startCycle();
      await sleepUnlessAborted(between(random, FAULT_HOLD_MS_MIN, FAULT_HOLD_MS_MAX), signal);
      // In the order started: a membership change begun during another fault is undone once
      // that fault has ended, so the undoing does not fail for want of a quorum.
      for (const fault of active) await this.stop(fault);
      await sleepUnlessAborted(between(random, QUIET_MS_MIN, QUIET_MS_MAX), signal);
    }
  }

  /** Starts one fault of `kind` now; undefined (and a `failed` event) when it could not be started. */
  async start(kind: FaultKind): Promise<ActiveFault | undefined> {
    const atMs = this.clock();
    try {
      const fault = await FAULT_STARTERS[kind](this.cluster, this.options.random);
      this.record({ atMs, kind, phase: 'start', description: fault.description });
      return fault;
    } catch (error) {
      this.record({ atMs, kind, phase: 'stop', description: `failed to start ${kind}: ${messageOf(error)}` });
      return undefined;
    }
  }

  /** Ends a started fault; a failure to end it is recorded, and heal() is what repairs it then. */
  async stop(fault: ActiveFault): Promise<void> {
    const atMs = this.clock();
    try {
      this.record({ atMs, kind: fault.kind, phase: 'stop', description: await fault.stop() });
    } catch (error) {
      this.record({ atMs, kind: fault.kind, phase: 'stop', description: `failed to end "${fault.description}": ${messageOf(error)}` });
    }
  }

  private async startCycle(): Promise<ActiveFault[]> {
    const { faults, random } = this.options;
    const kind = this.nextKind();
    const active = [await this.start(kind)];
    if (kind !== 'membership' && faults.includes('membership') && random() < MEMBERSHIP_DURING_FAULT_PROBABILITY) {
      active.push(await this.start('membership'));
    }
    return active.filter((fault): fault is ActiveFault => fault !== undefined);
  }

  /** Every kind once per round, in a seeded order, so even a short run injects each of them. */
  private nextKind(): FaultKind {
    if (this.round.length === 0) this.round.push(...this.options.faults);
    const kind = this.round.splice(Math.floor(this.options.random() * this.round.length), 1)[0];
    if (kind === undefined) throw new Error('the nemesis has no faults to pick from');
    return kind;
  }

  private record(event: FaultEvent): void {
    this.recorded.push(event);
    this.options.onEvent?.(event);
  }
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

async function sleepUnlessAborted(milliseconds: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, milliseconds);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
