// How late the event loop runs, on /metrics. Everything a member does happens on one thread:
// Raft ticks, heartbeats, the Ready loop, every API call. Work that holds the loop (a read that
// waits for the disk, a large decode) delays all of them; once the delay nears the tick, or the
// heartbeat interval, followers start elections. Node samples the delay with a timer
// (perf_hooks.monitorEventLoopDelay); each scrape reports the percentiles since the previous
// scrape and starts a new interval, as prom-client's nodejs_eventloop_lag_* gauges do, so the
// maximum says whether the loop stalled at all between two scrapes.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

/** How often the timer samples the loop; a stall shorter than this can go unseen. */
const SAMPLE_RESOLUTION_MS = 10;
const NANOSECONDS_PER_SECOND = 1e9;
const SAMPLE_RESOLUTION_NS = SAMPLE_RESOLUTION_MS * 1e6;

/** The quantile label of each reported figure; "1" is the maximum. */
export const EVENT_LOOP_DELAY_QUANTILES = { p50: '0.5', p99: '0.99', max: '1' } as const;
export const EVENT_LOOP_DELAY_METRIC = 'bvault_server_event_loop_delay_seconds';

/** Starts measuring the delay and registers it on `registry`; the returned function stops it. */
export function registerEventLoopDelay(registry: Registry): () => void {
  const histogram = monitorEventLoopDelay({ resolution: SAMPLE_RESOLUTION_MS });
  histogram.enable();
  new Gauge({
    name: EVENT_LOOP_DELAY_METRIC,
    help: `Event loop delay since the previous scrape, sampled every ${SAMPLE_RESOLUTION_MS} ms: median, 99th percentile and maximum (quantile "1"). Above the tick it delays Raft's ticks and heartbeats.`,
    labelNames: ['quantile'],
    registers: [registry],
    collect() {
      // Node records the whole time between two samples, so an idle loop shows the resolution
      // itself; the delay is what exceeds it. An interval with no sample yet reports 0.
      const seconds = (nanoseconds: number): number => (histogram.count === 0 ? 0 : Math.max(0, nanoseconds - SAMPLE_RESOLUTION_NS) / NANOSECONDS_PER_SECOND);
      this.set({ quantile: EVENT_LOOP_DELAY_QUANTILES.p50 }, seconds(histogram.percentile(50)));
      this.set({ quantile: EVENT_LOOP_DELAY_QUANTILES.p99 }, seconds(histogram.percentile(99)));
      this.set({ quantile: EVENT_LOOP_DELAY_QUANTILES.max }, seconds(histogram.max));
      histogram.reset();
    },
  });
  return () => histogram.disable();
}
