// The history a linearizability check reads: one record per operation, with the real-time
// interval in which it ran and what it returned, built from the call and return events a test
// client observes (Jepsen's invoke / ok / fail / info).

/**
 * One operation as a client saw it. Times come from one monotonic clock (any unit, as long as
 * the whole history uses the same one).
 *
 * Invariant: `return === undefined` exactly when `output === undefined`: the client never
 * learned the outcome (a timeout, a reset connection), so the operation may have taken effect
 * at any time after its call, or never.
 * Invariant: `return >= call` when defined.
 */
export interface Operation<Input, Output> {
  readonly clientId: number;
  readonly call: number;
  readonly return: number | undefined;
  readonly input: Input;
  readonly output: Output | undefined;
}

export type History<Input, Output> = readonly Operation<Input, Output>[];

/**
 * What a client observes, in the order it observes it. `ok` carries the result; `fail` means
 * the operation definitely did not take effect (the server said so), and it is left out of the
 * history because it constrains nothing; `info` means the outcome is unknown.
 */
export type HistoryEvent<Input, Output> =
  | { readonly kind: 'call'; readonly clientId: number; readonly time: number; readonly input: Input }
  | { readonly kind: 'ok'; readonly clientId: number; readonly time: number; readonly output: Output }
  | { readonly kind: 'fail'; readonly clientId: number; readonly time: number }
  | { readonly kind: 'info'; readonly clientId: number; readonly time: number };

/**
 * Pairs each call with the next completion event of the same client. A client has at most one
 * operation in flight; a call still open at the end of the events has an unknown outcome, like
 * one completed by `info`. Throws on a completion without a call, a second call while one is
 * open, or time going backwards: those are bugs in the recorder, not in the system under test.
 */
export function historyFromEvents<Input, Output>(events: readonly HistoryEvent<Input, Output>[]): History<Input, Output> {
  const open = new Map<number, { readonly time: number; readonly input: Input }>();
  const history: Operation<Input, Output>[] = [];
  let lastTime = -Infinity;
  for (const event of events) {
    if (event.time < lastTime) throw new Error(`event time ${event.time} is before ${lastTime}: the clock must be monotonic`);
    lastTime = event.time;
    if (event.kind === 'call') {
      if (open.has(event.clientId)) throw new Error(`client ${event.clientId} called while its previous operation was open`);
      open.set(event.clientId, { time: event.time, input: event.input });
      continue;
    }
    const call = open.get(event.clientId);
    if (call === undefined) throw new Error(`client ${event.clientId} completed an operation it never called`);
    open.delete(event.clientId);
    if (event.kind === 'fail') continue;
    const known = event.kind === 'ok';
    history.push({
      clientId: event.clientId,
      call: call.time,
      return: known ? event.time : undefined,
      input: call.input,
      output: known ? event.output : undefined,
    });
  }
  for (const [clientId, call] of open) {
    history.push({ clientId, call: call.time, return: undefined, input: call.input, output: undefined });
  }
  return history;
}

/** An operation whose outcome is known, in one call; for tests and hand-written histories. */
export function completed<Input, Output>(
  clientId: number,
  call: number,
  returnTime: number,
  input: Input,
  output: Output,
): Operation<Input, Output> {
  if (returnTime < call) throw new Error(`operation returns at ${returnTime} before its call at ${call}`);
  return { clientId, call, return: returnTime, input, output };
}

/** An operation whose outcome the client never learned. */
export function unknownOutcome<Input, Output>(clientId: number, call: number, input: Input): Operation<Input, Output> {
  return { clientId, call, return: undefined, input, output: undefined };
}
