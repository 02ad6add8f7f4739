// Clients of the simulated cluster: each puts and reads a few keys through RaftKvNode.write
// and RaftKvNode.range (linearizable, so through ReadIndex) on a member picked by the seed,
// one operation at a time, and records what it saw in virtual time for the linearizability
// check. A write that fails or never answers (its node crashed) has an unknown outcome; a read
// that fails constrains nothing. A client whose node died gives up on it and carries on under
// a new client id, as the checker allows one open operation per client.

import type { HistoryEvent } from '../../jepsen/checker/history.js';
import type { RegisterInput, RegisterOutput } from '../../jepsen/checker/models/register.js';
import type { SeededRandom } from '../../../src/raft/random.js';
import { between, chance, pick } from '../simulation-random.js';
import type { SimulatedMember } from './simulated-member.js';
import type { VirtualTime } from './virtual-time.js';

export type RegisterEvent = HistoryEvent<RegisterInput, RegisterOutput>;

const KEYS = ['a', 'b', 'c'] as const;
const THINK_MS_MAX = 30;
/** A client gives up on an operation this long after the node's own request timeout. */
const ABANDON_AFTER_MS = 1_500;
const FINAL_READ_RETRY_MS = 50;

export interface WorkloadCounts {
  writesAcknowledged: number;
  readsAcknowledged: number;
}

type Outcome<T> = { readonly kind: 'ok'; readonly value: T } | { readonly kind: 'failed' } | { readonly kind: 'abandoned' };
type OutcomeKind = Outcome<unknown>['kind'];

export class Workload {
  readonly events: RegisterEvent[] = [];
  readonly counts: WorkloadCounts = { writesAcknowledged: 0, readsAcknowledged: 0 };
  private nextClientId = 0;
  private nextValue = 0;

  constructor(
    private readonly time: VirtualTime,
    private readonly random: SeededRandom,
    private readonly members: readonly SimulatedMember[],
  ) {}

  /** Runs one client until `untilMs`. */
  async client(untilMs: number): Promise<void> {
    let clientId = this.nextClientId++;
    while (this.time.nowMs < untilMs) {
      await this.time.sleep(between(this.random, 0, THINK_MS_MAX));
      const member = this.servingMember();
      if (member === undefined) continue;
      const key = pick(this.random, KEYS);
      const outcome = chance(this.random, 0.5) ? await this.write(clientId, member, key) : await this.read(clientId, member, key);
      if (outcome === 'abandoned') clientId = this.nextClientId++;
    }
  }

  /** Reads every key once, from a serving member, retrying until one read of each succeeds or `untilMs`. */
  async finalReads(untilMs: number): Promise<boolean> {
    for (const key of KEYS) {
      let done = false;
      while (!done && this.time.nowMs < untilMs) {
        const member = this.servingMember();
        if (member !== undefined) done = (await this.read(this.nextClientId++, member, key, true)) === 'ok';
        if (!done) await this.time.sleep(FINAL_READ_RETRY_MS);
      }
      if (!done) return false;
    }
    return true;
  }

  private servingMember(): SimulatedMember | undefined {
    const serving = this.members.filter((member) => member.node !== undefined);
    return serving.length === 0 ? undefined : pick(this.random, serving);
  }

  private async write(clientId: number, member: SimulatedMember, key: string): Promise<OutcomeKind> {
    const value = `v${this.nextValue++}`;
    this.events.push({ kind: 'call', clientId, time: this.time.nowMs, input: { kind: 'write', key, value } });
    const request = { type: 'put' as const, put: { key: Buffer.from(key), value: Buffer.from(value) } };
    const outcome = await this.outcome(() => member.node!.write(request));
    if (outcome.kind === 'ok') {
      this.counts.writesAcknowledged++;
      this.events.push({ kind: 'ok', clientId, time: this.time.nowMs, output: { kind: 'write' } });
    } else {
      this.events.push({ kind: 'info', clientId, time: this.time.nowMs });
    }
    return outcome.kind;
  }

  /** A final read checks what survived; it does not count as workload. */
  private async read(clientId: number, member: SimulatedMember, key: string, final = false): Promise<OutcomeKind> {
    this.events.push({ kind: 'call', clientId, time: this.time.nowMs, input: { kind: 'read', key } });
    const outcome = await this.outcome(() => member.node!.range({ key: Buffer.from(key) }));
    if (outcome.kind === 'ok') {
      if (!final) this.counts.readsAcknowledged++;
      const stored = outcome.value.kvs[0];
      const value = stored === undefined ? null : Buffer.from(stored.value).toString();
      this.events.push({ kind: 'ok', clientId, time: this.time.nowMs, output: { kind: 'read', value } });
    } else {
      this.events.push({ kind: outcome.kind === 'failed' ? 'fail' : 'info', clientId, time: this.time.nowMs });
    }
    return outcome.kind;
  }

  /** Waits for the call, or gives up once it cannot answer any more (its node crashed). */
  private outcome<T>(call: () => Promise<T>): Promise<Outcome<T>> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: Outcome<T>): void => {
        if (settled) return;
        settled = true;
        resolve(outcome);
      };
      void this.time.sleep(ABANDON_AFTER_MS).then(() => settle({ kind: 'abandoned' }));
      let pending: Promise<T>;
      try {
        pending = call();
      } catch {
        settle({ kind: 'failed' });
        return;
      }
      pending.then(
        (value) => settle({ kind: 'ok', value }),
        () => settle({ kind: 'failed' }),
      );
    });
  }
}
