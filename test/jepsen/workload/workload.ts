// N logical clients, each with its own connection through the product's client library,
// running operations one at a time until the run's signal stops them, and recording each
// call and completion on the run's one monotonic clock.
import { type BeaverVaultClient, connect } from '../../../src/client/index.js';
import { type ChoiceContext, chooseOperation, type ClientState, RECENT_LEASE_KEYS_MAX } from './choose-operation.js';
import { classifyFailure } from './outcome-of-error.js';
import { performOperation } from './perform-operation.js';
import { type RecordedOperation, type WorkloadInput, type WorkloadOutput } from './recorded-operation.js';

export interface WorkloadOptions {
  readonly clients: number;
  readonly keyCount: number;
  /** Longer than the whole run, so no lease expires and deletes a key the checker does not expect. */
  readonly leaseTtlSeconds: number;
  readonly requestTimeoutMs: number;
  readonly random: () => number;
  /** The run's monotonic clock, in milliseconds. */
  readonly clock: () => number;
  /** The gRPC endpoints of the cluster's current members; asked before every operation. */
  readonly endpoints: () => readonly string[];
}

export class Workload {
  readonly operations: RecordedOperation[] = [];
  /** Operations called and not yet completed, by client id. */
  private readonly open = new Map<number, { readonly input: WorkloadInput; readonly call: number }>();
  private readonly recentLeaseKeys: string[] = [];

  constructor(private readonly options: WorkloadOptions) {}

  /** Runs every client until `signal` aborts; each finishes the operation it has in flight. */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all(Array.from({ length: this.options.clients }, (_unused, clientId) => this.runClient(clientId, signal)));
  }

  /** Every operation, with those still open counted as unknown outcome. */
  history(): RecordedOperation[] {
    const stillOpen = [...this.open].map(([clientId, { input, call }]) => ({ clientId, input, call, return: undefined, outcome: 'info' as const, error: 'still open when the run ended' }));
    return [...this.operations, ...stillOpen];
  }

  private async runClient(clientId: number, signal: AbortSignal): Promise<void> {
    const state: ClientState = { clientId, counter: 0, lease: { phase: 'none' }, lastSeen: new Map() };
    const context: ChoiceContext = { random: this.options.random, keyCount: this.options.keyCount, leaseTtlSeconds: this.options.leaseTtlSeconds, recentLeaseKeys: this.recentLeaseKeys };
    let connection: { readonly client: BeaverVaultClient; readonly endpoints: string } | undefined;
    try {
      while (!signal.aborted) {
        const endpoints = rotated(this.options.endpoints(), clientId);
        if (connection?.endpoints !== endpoints.join(',')) {
          // Members came or went: a client configured with the new member list, as an operator would.
          connection?.client.close();
          connection = { client: connect({ endpoints, requestTimeoutMs: this.options.requestTimeoutMs, dialTimeoutMs: 1_000 }), endpoints: endpoints.join(',') };
        }
        const input = chooseOperation(state, context);
        const output = await this.record(clientId, input, connection.client);
        this.learn(state, input, output);
      }
    } finally {
      connection?.client.close();
    }
  }

  private async record(clientId: number, input: WorkloadInput, client: BeaverVaultClient): Promise<WorkloadOutput | undefined> {
    const call = this.options.clock();
    this.open.set(clientId, { input, call });
    try {
      const output = await performOperation(client, input);
      this.operations.push({ clientId, input, call, return: this.options.clock(), outcome: 'ok', output });
      return output;
    } catch (thrown) {
      const { outcome, error } = classifyFailure(thrown);
      this.operations.push({ clientId, input, call, return: this.options.clock(), outcome, error });
      return undefined;
    } finally {
      this.open.delete(clientId);
    }
  }

  /** What a client remembers of an operation: values it saw, and where its lease cycle stands. */
  private learn(state: ClientState, input: WorkloadInput, output: WorkloadOutput | undefined): void {
    if (output?.kind === 'get' && input.kind === 'get') state.lastSeen.set(input.key, output.value);
    if (output?.kind === 'read-txn' && input.kind === 'read-txn') input.keys.forEach((key, index) => state.lastSeen.set(key, output.reads[index]?.value ?? null));
    if (output !== undefined && (input.kind === 'put' || (input.kind === 'cas' && output.kind === 'cas' && output.succeeded))) state.lastSeen.set(input.key, input.value);
    if (output !== undefined && input.kind === 'delete') state.lastSeen.set(input.key, null);
    if (output !== undefined && input.kind === 'txn') for (const write of input.writes) state.lastSeen.set(write.key, write.value);
    if (input.kind === 'lease-grant') state.lease = output?.kind === 'lease-grant' ? { phase: 'granted', leaseId: output.leaseId } : { phase: 'none' };
    if (input.kind === 'lease-put') {
      state.lease = { phase: 'attached', leaseId: input.leaseId, key: input.key };
      this.recentLeaseKeys.push(input.key);
      if (this.recentLeaseKeys.length > RECENT_LEASE_KEYS_MAX) this.recentLeaseKeys.shift();
    }
    if (input.kind === 'lease-revoke') state.lease = { phase: 'none' };
  }
}

/** The endpoints starting at a different member for each client, so reads spread over the members. */
function rotated(endpoints: readonly string[], clientId: number): string[] {
  const start = endpoints.length === 0 ? 0 : clientId % endpoints.length;
  return [...endpoints.slice(start), ...endpoints.slice(0, start)];
}
