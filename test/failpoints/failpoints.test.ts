import { afterEach, describe, expect, it } from 'vitest';
import { applyFailpointSettings, setFailpoint, failpointAction, FAILPOINT_SLEEP_MS_MAX } from '../../src/failpoints/failpoints.js';
import { startFailpointControl, type FailpointControl } from '../../src/failpoints/failpoint-control.js';
import { startFailpointsFromEnvironment } from '../../src/failpoints/failpoints-from-environment.js';
import { entry, openStore, temporaryDirectory, useTemporaryDirectories } from '../storage/helpers.js';

useTemporaryDirectories();

const controls: FailpointControl[] = [];
afterEach(async () => {
  for (const control of controls.splice(0)) await control.close();
  setFailpoint('wal-write', { kind: 'off' });
});

describe('failpoint settings (BVAULT_FAILPOINTS)', () => {
  it('sets a sleep and turns it off again', () => {
    expect(applyFailpointSettings('wal-write=sleep(25)')).toEqual([]);
    expect(failpointAction('wal-write')).toEqual({ kind: 'sleep', milliseconds: 25 });
    expect(applyFailpointSettings(' wal-write = off ;')).toEqual([]);
    expect(failpointAction('wal-write')).toEqual({ kind: 'off' });
  });

  it('names every problem and applies nothing when one item is wrong', () => {
    const problems = applyFailpointSettings('wal-write=sleep(5);disk-full=sleep(1);wal-write=panic;wal-write');
    expect(problems).toEqual([
      'unknown failpoint "disk-full"; the failpoints are wal-write',
      'failpoint wal-write: "panic" is not a failpoint action; use off or sleep(milliseconds)',
      'failpoint wal-write: "wal-write" has no action; write wal-write=sleep(milliseconds)',
    ]);
    expect(failpointAction('wal-write')).toEqual({ kind: 'off' });
  });

  it('refuses a sleep longer than the limit', () => {
    expect(applyFailpointSettings(`wal-write=sleep(${FAILPOINT_SLEEP_MS_MAX + 1})`)).toEqual([
      `failpoint wal-write: sleep(${FAILPOINT_SLEEP_MS_MAX + 1}) is longer than the ${FAILPOINT_SLEEP_MS_MAX} ms a failpoint may wait`,
    ]);
    expect(applyFailpointSettings(`wal-write=sleep(${FAILPOINT_SLEEP_MS_MAX})`)).toEqual([]);
  });

  it('refuses a bad control address before opening anything', async () => {
    await expect(startFailpointsFromEnvironment({ BVAULT_FAILPOINTS: 'wal-write=sleep(1)', BVAULT_FAILPOINTS_HTTP: 'localhost' })).rejects.toThrow(
      'BVAULT_FAILPOINTS_HTTP: "localhost" is not host:port',
    );
  });
});

describe('the wal-write failpoint', () => {
  it('holds an append back until its sleep is over: a slow disk', async () => {
    const store = await openStore(await temporaryDirectory());
    setFailpoint('wal-write', { kind: 'sleep', milliseconds: 1_000 });
    let durable = false;
    const appended = store.append([entry(1, 1)]).then(() => (durable = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(durable).toBe(false);
    await appended;
    expect(durable).toBe(true);
  });
});

describe('the failpoint control listener', () => {
  async function control(): Promise<string> {
    const started = await startFailpointControl('127.0.0.1', 0);
    controls.push(started);
    return `http://${started.address}`;
  }

  it('lists, sets, reads and clears failpoints', async () => {
    const base = await control();
    expect(await (await fetch(`${base}/`)).text()).toBe('wal-write=off\n');
    expect((await fetch(`${base}/wal-write`, { method: 'PUT', body: 'sleep(40)' })).status).toBe(204);
    expect(failpointAction('wal-write')).toEqual({ kind: 'sleep', milliseconds: 40 });
    expect(await (await fetch(`${base}/wal-write`)).text()).toBe('sleep(40)\n');
    expect((await fetch(`${base}/wal-write`, { method: 'DELETE' })).status).toBe(204);
    expect(failpointAction('wal-write')).toEqual({ kind: 'off' });
  });

  it('answers bad requests with the problem and changes nothing', async () => {
    const base = await control();
    setFailpoint('wal-write', { kind: 'sleep', milliseconds: 7 });
    const unknown = await fetch(`${base}/disk-full`, { method: 'PUT', body: 'sleep(1)' });
    expect([unknown.status, await unknown.text()]).toEqual([404, 'unknown failpoint "disk-full"; the failpoints are wal-write\n']);
    const badAction = await fetch(`${base}/wal-write`, { method: 'PUT', body: 'sleep(forever)' });
    expect([badAction.status, await badAction.text()]).toEqual([400, '"sleep(forever)" is not a failpoint action; use off or sleep(milliseconds)\n']);
    const tooLong = await fetch(`${base}/wal-write`, { method: 'PUT', body: 'x'.repeat(1_000) });
    expect(tooLong.status).toBe(413);
    const badMethod = await fetch(`${base}/wal-write`, { method: 'POST', body: 'off' });
    expect(badMethod.status).toBe(405);
    expect(failpointAction('wal-write')).toEqual({ kind: 'sleep', milliseconds: 7 });
  });
});
