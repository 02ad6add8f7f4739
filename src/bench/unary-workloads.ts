// The request-response workloads (put, range, txn-put, mixed) as etcd's benchmark runs them:
// a closed loop per client, one request in flight each, until the budget runs out. Requests
// are pre-encoded and re-keyed in place and responses are not decoded (a status of OK is
// a success), so the generator spends its CPU on little besides grpc-js itself.
import { type Client, Metadata, type ServiceError } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { type BenchOptions, MIXED_RANGE_PERCENT } from './bench-options.js';
import type { BenchRecorder } from './bench-result.js';
import type { LoadChannels } from './load-channels.js';
import { KeyedRequest, putMethod, rangeMethod, type RequestShape, txnPutMethod, type UnaryMethod } from './request-templates.js';
import type { RunBudget } from './run-budget.js';

/** One kind of request a client sends, and the share of the operations that are of it. */
interface WeightedMethod {
  readonly kind: string;
  readonly method: UnaryMethod;
  readonly percent: number;
}

export function unaryMix(options: BenchOptions): readonly WeightedMethod[] {
  const shape: RequestShape = { keySizeBytes: options.keySizeBytes, value: randomBytes(options.valueSizeBytes), serializable: options.serializable, txnOperations: options.txnOperations, rangeKeys: options.rangeKeys };
  switch (options.workload) {
    case 'put':
      return [{ kind: 'put', method: putMethod(shape), percent: 100 }];
    case 'range':
      return [{ kind: 'range', method: rangeMethod(shape), percent: 100 }];
    case 'txn-put':
      return [{ kind: 'txn-put', method: txnPutMethod(shape), percent: 100 }];
    case 'mixed':
      return [
        { kind: 'range', method: rangeMethod(shape), percent: MIXED_RANGE_PERCENT },
        { kind: 'put', method: putMethod(shape), percent: 100 - MIXED_RANGE_PERCENT },
      ];
    case 'watch-latency':
      throw new Error('watch-latency is not a request-response workload');
  }
}

const passThrough = (bytes: Buffer): Buffer => bytes;

/** Runs every client's loop until the budget is spent; resolves when the last response is in. */
export function runUnaryWorkload(options: BenchOptions, channels: LoadChannels, budget: RunBudget, recorder: BenchRecorder): Promise<void> {
  const mix = unaryMix(options);
  // One per run, shared by its calls: with --user the token interceptor writes the token into
  // it, which must not reach the next run in this process (a run without a user would then
  // pass an auth check it should fail).
  const metadata = new Metadata();
  // A request's keys are consecutive from its first key, so a transaction never names a key
  // twice (etcd refuses that); the first key is the next in order, or a random one, and a
  // range's start is drawn so that its end stays within the key space.
  let nextSequentialKey = 0;
  const firstKey = options.sequentialKeys ? (keys: number) => (nextSequentialKey += keys) - keys : () => Math.floor(Math.random() * (options.keySpace - options.rangeKeys + 1));
  return new Promise((resolve) => {
    let running = options.clients;
    const clientDone = (): void => {
      if (--running === 0) resolve();
    };
    for (let client = 0; client < options.clients; client++) {
      startClientLoop(channels.forClient(client), mix, metadata, firstKey, options, budget, recorder, clientDone);
    }
  });
}

function startClientLoop(channel: Client, mix: readonly WeightedMethod[], metadata: Metadata, firstKey: (keys: number) => number, options: BenchOptions, budget: RunBudget, recorder: BenchRecorder, done: () => void): void {
  const requests = mix.map((weighted) => ({ ...weighted, request: new KeyedRequest(weighted.method) }));
  const next = (): void => {
    if (!budget.take()) {
      done();
      return;
    }
    const chosen = choose(requests);
    const { request } = chosen;
    const first = firstKey(request.keyOffsets.length);
    const stride = chosen.method.keyStride;
    for (let slot = 0; slot < request.keyOffsets.length; slot++) request.setKey(slot, (first + slot * stride) % options.keySpace);
    const sentAtMs = performance.now();
    channel.makeUnaryRequest(chosen.method.path, passThrough, passThrough, request.buffer, metadata, { deadline: Date.now() + options.requestTimeoutMs }, (error: ServiceError | null) => {
      if (error === null) recorder.recordSuccess(chosen.kind, performance.now() - sentAtMs);
      else recorder.recordFailure(error.code);
      next();
    });
  };
  next();
}

function choose<T extends WeightedMethod>(mix: readonly T[]): T {
  if (mix.length === 1) return mix[0] as T;
  let draw = Math.random() * 100;
  for (const weighted of mix) {
    draw -= weighted.percent;
    if (draw < 0) return weighted;
  }
  return mix[mix.length - 1] as T;
}
