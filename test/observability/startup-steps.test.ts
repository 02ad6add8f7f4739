import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { STARTUP_STEP_METRIC, StartupSteps } from '../../src/observability/startup-steps.js';

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe('start-up steps', () => {
  it('times each step in order, a failed one too, and totals them', async () => {
    const steps = new StartupSteps();
    await steps.time('walReplay', () => sleep(30));
    steps.timeSync('memberTableRebuild', () => 1 + 1);
    await expect(steps.time('levelDbOpen', () => Promise.reject(new Error('no database')))).rejects.toThrow('no database');
    const summary = steps.summary();
    expect(Object.keys(summary)).toEqual(['walReplay', 'memberTableRebuild', 'levelDbOpen', 'total']);
    // Loosely: timers may fire early by a millisecond and late by much more on a loaded machine.
    expect(summary.walReplay).toBeGreaterThanOrEqual(25);
    expect(summary.total).toBeGreaterThanOrEqual(summary.walReplay as number);
  });

  it('refuses to time a step twice, which would hide one of the two', () => {
    const steps = new StartupSteps();
    steps.timeSync('identity', () => undefined);
    expect(() => steps.timeSync('identity', () => undefined)).toThrow('start-up step identity was timed twice');
  });

  it('puts each step on the registry in seconds', async () => {
    const steps = new StartupSteps();
    await steps.time('walReplay', () => sleep(20));
    const registry = new Registry();
    steps.register(registry);
    const values = (await registry.getSingleMetric(STARTUP_STEP_METRIC)?.get())?.values ?? [];
    expect(values.map((value) => value.labels.step)).toEqual(['walReplay', 'total']);
    expect(values[0]?.value).toBeGreaterThanOrEqual(0.015);
  });
});
