import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_LOOP_DELAY_METRIC, registerEventLoopDelay } from '../../src/observability/event-loop-delay.js';

async function delayByQuantile(registry: Registry): Promise<Map<string, number>> {
  const metric = await registry.getSingleMetric(EVENT_LOOP_DELAY_METRIC)?.get();
  return new Map((metric?.values ?? []).map((value) => [String(value.labels.quantile), value.value]));
}

function blockLoop(milliseconds: number): void {
  const until = performance.now() + milliseconds;
  while (performance.now() < until) {
    // Holds the thread, as a synchronous disk read would.
  }
}

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe('event loop delay metric', () => {
  let stop: (() => void) | undefined;
  afterEach(() => stop?.());

  it('reports a stall of the loop as its maximum, and starts a new interval at each scrape', async () => {
    const registry = new Registry();
    stop = registerEventLoopDelay(registry);
    await sleep(50);
    blockLoop(150);
    await sleep(50);
    const stalled = await delayByQuantile(registry);
    expect([...stalled.keys()].sort()).toEqual(['0.5', '0.99', '1']);
    // The stall itself, less the sampling resolution; loosely, since the machine may be loaded.
    expect(stalled.get('1')).toBeGreaterThanOrEqual(0.12);
    expect(stalled.get('0.5')).toBeLessThanOrEqual(stalled.get('1') as number);
    await sleep(100);
    const after = await delayByQuantile(registry);
    expect(after.get('1')).toBeLessThan(stalled.get('1') as number);
  });
});
