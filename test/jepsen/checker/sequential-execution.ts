// Builds histories that are linearizable by construction, for property tests and timings: the
// operations run one after another against the model, each at its own linearization point,
// and then each interval is widened around that point by a chosen amount, which creates
// real-time overlap but never reorders two operations that do not overlap.

import type { History, Operation } from './history.js';
import type { Model } from './model.js';

/** Time between consecutive linearization points. */
export const LINEARIZATION_SPACING = 10;

export interface PlannedOperation<Input> {
  readonly clientId: number;
  readonly input: Input;
  /** How long before its linearization point the operation is called. */
  readonly callBefore: number;
  /** How long after its linearization point it returns. */
  readonly returnAfter: number;
  /**
   * known: the client sees the result. unknown-applied: it took effect, the client never
   * learned. unknown-lost: it never took effect (and the client never learned).
   */
  readonly outcome: 'known' | 'unknown-applied' | 'unknown-lost';
}

/** Says what a request returns in a state: the system under test, played by the model. */
export type Responder<State, Input, Output> = (state: State, input: Input) => Output;

export function executeSequentially<State, Input, Output>(
  model: Model<State, Input, Output>,
  respond: Responder<State, Input, Output>,
  plan: readonly PlannedOperation<Input>[],
): History<Input, Output> {
  let state = model.init();
  return plan.map((planned, index): Operation<Input, Output> => {
    const point = index * LINEARIZATION_SPACING;
    const call = point - planned.callBefore;
    if (planned.outcome === 'unknown-lost') return { clientId: planned.clientId, call, return: undefined, input: planned.input, output: undefined };
    const output = respond(state, planned.input);
    const step = model.step(state, planned.input, output);
    if (!step.ok) throw new Error(`the model rejects the response its responder gave: ${model.describeOperation(planned.input, output)}`);
    state = step.state;
    if (planned.outcome === 'unknown-applied') return { clientId: planned.clientId, call, return: undefined, input: planned.input, output: undefined };
    return { clientId: planned.clientId, call, return: point + planned.returnAfter, input: planned.input, output };
  });
}

/** The first of the candidate outputs that the model accepts in `state`. */
export function acceptedOutput<State, Input, Output>(
  model: Model<State, Input, Output>,
  state: State,
  input: Input,
  candidates: readonly Output[],
): Output {
  const accepted = candidates.find((output) => model.step(state, input, output).ok);
  if (accepted === undefined) throw new Error(`no candidate output fits ${model.describeOperation(input, undefined)}`);
  return accepted;
}

/** A deterministic pseudo-random generator (mulberry32), so timed histories are the same every run. */
export function seededRandom(seed: number): () => number {
  let current = seed >>> 0;
  return () => {
    current = (current + 0x6d2b79f5) >>> 0;
    let t = current;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
