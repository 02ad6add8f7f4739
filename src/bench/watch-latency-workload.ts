// watch-latency, as etcd's benchmark measures it: --clients watch streams on one key and one
// putter. Puts go one at a time; each put's latency sample is, for every watcher, the time
// from sending the put to that watcher's event. The next put waits until every watcher has
// its event, so an event always belongs to the put in flight; for the same reason a failed
// put, a failed stream or an event that does not arrive in time ends the run.
import { type ClientDuplexStream, Metadata, type ServiceError } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { WatchService, type WatchRequest, type WatchResponse } from '../generated/etcd/etcdserverpb/rpc.js';
import type { BenchOptions } from './bench-options.js';
import type { BenchRecorder } from './bench-result.js';
import type { LoadChannels } from './load-channels.js';
import { keyBytes, putMethod } from './request-templates.js';
import type { RunBudget } from './run-budget.js';

type WatchStream = ClientDuplexStream<WatchRequest, WatchResponse>;

/** Shared by the putter and the watchers: the put in flight and who has seen it. */
class PutRound {
  sentAtMs = 0;
  private waiting = 0;
  private allArrived: (() => void) | undefined;

  /** Starts the next put's round; resolves when every watcher has its event. */
  begin(watchers: number): Promise<void> {
    this.sentAtMs = performance.now();
    this.waiting = watchers;
    return new Promise((resolve) => (this.allArrived = resolve));
  }

  arrived(): void {
    if (--this.waiting === 0) this.allArrived?.();
  }

  /** Ends the round early (a watch stream failed); the missing events are counted as failures. */
  abandon(recorder: BenchRecorder): void {
    for (; this.waiting > 0; this.waiting--) recorder.recordFailure('EVENT_MISSING');
    this.allArrived?.();
  }
}

export async function runWatchLatencyWorkload(options: BenchOptions, channels: LoadChannels, budget: RunBudget, recorder: BenchRecorder): Promise<void> {
  const key = keyBytes(0, options.keySizeBytes);
  const round = new PutRound();
  let failed = false;
  const onStreamError = (error: ServiceError): void => {
    if (failed) return;
    failed = true;
    recorder.recordFailure(`WATCH_${error.code}`);
    round.abandon(recorder);
  };
  const streams = await Promise.all(Array.from({ length: options.clients }, (_unused, client) => openWatch(channels, client, key, options, recorder, round, onStreamError)));
  try {
    const put = putMethod({ keySizeBytes: options.keySizeBytes, value: randomBytes(options.valueSizeBytes), serializable: false, txnOperations: 1, rangeKeys: 1 });
    const putRequest = put.encode(key);
    const putChannel = channels.forClient(0);
    while (!failed && budget.take()) {
      const everyEvent = round.begin(options.clients);
      const putError = await new Promise<ServiceError | null>((resolve) => {
        putChannel.makeUnaryRequest(put.path, (bytes: Buffer) => bytes, (bytes: Buffer) => bytes, putRequest, new Metadata(), { deadline: Date.now() + options.requestTimeoutMs }, resolve);
      });
      if (putError !== null) {
        recorder.recordFailure(putError.code);
        break;
      }
      recorder.countSuccess('put');
      await withTimeout(everyEvent, options.requestTimeoutMs, () => {
        failed = true;
        round.abandon(recorder);
      });
    }
  } finally {
    failed = true;
    for (const stream of streams) stream.cancel();
  }
}

/** A watch stream on `key`, once the server has confirmed it was created. */
function openWatch(channels: LoadChannels, client: number, key: Buffer, options: BenchOptions, recorder: BenchRecorder, round: PutRound, onError: (error: ServiceError) => void): Promise<WatchStream> {
  const { path, requestSerialize, responseDeserialize } = WatchService.watch;
  const stream: WatchStream = channels.forClient(client).makeBidiStreamRequest(path, requestSerialize, responseDeserialize, new Metadata());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`watch stream ${client} was not created within ${options.requestTimeoutMs} ms`)), options.requestTimeoutMs);
    stream.on('data', (response: WatchResponse) => {
      if (response.created) {
        clearTimeout(timer);
        resolve(stream);
      }
      for (let index = 0; index < response.events.length; index++) {
        recorder.recordSuccess('event', performance.now() - round.sentAtMs);
        round.arrived();
      }
    });
    stream.on('error', (error: ServiceError) => {
      clearTimeout(timer);
      reject(error);
      onError(error);
    });
    stream.write({ createRequest: { key, rangeEnd: new Uint8Array(), startRevision: 0n, progressNotify: false, filters: [], prevKv: false, watchId: 0n, fragment: false } });
  });
}

async function withTimeout(pending: Promise<void>, timeoutMs: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      onTimeout();
      resolve();
    }, timeoutMs);
  });
  try {
    await Promise.race([pending, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
