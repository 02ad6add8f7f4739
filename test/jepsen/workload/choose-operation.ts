// What a client does next, drawn from the run's seeded random source. Most operations go to a
// small set of shared keys, so clients contend; every written value is unique (client id and
// counter), so a read names the one write it saw. Leases run as a cycle per client: grant,
// put the lease's own key, revoke.
import { KEY_PREFIX, type ReadValue, type WorkloadInput } from './recorded-operation.js';

/** Relative weights of the operations a client starts when it has no lease cycle under way. */
const OPERATION_WEIGHTS = [
  ['get', 25],
  ['put', 15],
  ['delete', 5],
  ['cas', 20],
  ['txn', 10],
  ['read-txn', 15],
  ['lease-grant', 10],
] as const;

const WEIGHT_TOTAL = OPERATION_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
/** A lease cycle under way takes the next step with this probability, so cycles interleave with other work. */
const LEASE_STEP_PROBABILITY = 0.5;
/** Reads that go to a recent lease key instead of a shared key. */
const LEASE_KEY_READ_PROBABILITY = 0.2;
/** Lease keys other clients may read: the most recent ones. */
export const RECENT_LEASE_KEYS_MAX = 20;

export type LeaseCycle =
  | { readonly phase: 'none' }
  | { readonly phase: 'granted'; readonly leaseId: string }
  | { readonly phase: 'attached'; readonly leaseId: string; readonly key: string };

export interface ClientState {
  readonly clientId: number;
  counter: number;
  lease: LeaseCycle;
  /** The value this client last saw or wrote at each key: the expected value of its next cas. */
  readonly lastSeen: Map<string, ReadValue>;
}

export interface ChoiceContext {
  readonly random: () => number;
  readonly keyCount: number;
  readonly leaseTtlSeconds: number;
  /** Lease keys recently written by any client, newest last. */
  readonly recentLeaseKeys: readonly string[];
}

export function sharedKey(index: number): string {
  return `${KEY_PREFIX}k${index}`;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('picked from an empty list');
  return item;
}

function nextValue(state: ClientState): string {
  state.counter += 1;
  return `c${state.clientId}-${state.counter}`;
}

export function chooseOperation(state: ClientState, context: ChoiceContext): WorkloadInput {
  const { random } = context;
  if (state.lease.phase !== 'none' && random() < LEASE_STEP_PROBABILITY) return nextLeaseStep(state, state.lease);
  const keys = Array.from({ length: context.keyCount }, (_unused, index) => sharedKey(index));
  const key = pick(random, keys);
  let draw = random() * WEIGHT_TOTAL;
  const [kind] = OPERATION_WEIGHTS.find(([, weight]) => (draw -= weight) < 0) ?? OPERATION_WEIGHTS[0];
  switch (kind) {
    case 'get': {
      const readsLeaseKey = context.recentLeaseKeys.length > 0 && random() < LEASE_KEY_READ_PROBABILITY;
      return { kind, key: readsLeaseKey ? pick(random, context.recentLeaseKeys) : key };
    }
    case 'put':
      return { kind, key, value: nextValue(state) };
    case 'delete':
      return { kind, key };
    case 'cas':
      return { kind, key, expected: state.lastSeen.get(key) ?? null, value: nextValue(state) };
    case 'txn':
    case 'read-txn': {
      const others = keys.filter((other) => other !== key);
      const chosen = others.length === 0 ? [key] : [key, pick(random, others)];
      if (kind === 'read-txn') return { kind, keys: chosen };
      return { kind, writes: chosen.map((each) => ({ key: each, value: nextValue(state) })) };
    }
    case 'lease-grant':
      return state.lease.phase === 'none' ? { kind, ttlSeconds: context.leaseTtlSeconds } : nextLeaseStep(state, state.lease);
  }
}

function nextLeaseStep(state: ClientState, lease: Exclude<LeaseCycle, { phase: 'none' }>): WorkloadInput {
  if (lease.phase === 'granted') {
    // Named after its unique value: one key per lease, so revoking deletes exactly that key.
    const value = nextValue(state);
    return { kind: 'lease-put', key: `${KEY_PREFIX}lease/${value}`, value, leaseId: lease.leaseId };
  }
  return { kind: 'lease-revoke', key: lease.key, leaseId: lease.leaseId };
}
