// The web console in a real browser (Debian's chromium driven by playwright-core, headless and
// kept off the network) against a real three-member cluster: each view loads and is saved as
// a screenshot (into BVAULT_CONSOLE_SCREENSHOTS when set, e.g. docs/images for the README's,
// else into a directory of the test's own that it removes); a key written through the console
// is read back with etcdctl; a write made with etcdctl appears in the console's watch; the
// console's changes (transaction, delete, leadership) happen only once confirmed; a killed
// member shows as down within 5 s; with authentication on, a login. Chromium is stopped by pid, every member by the
// cluster harness.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserServer, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT, TestCluster } from '../cluster/cluster-harness.js';
import { etcdctl, etcdctlOk } from '../etcd-compat/etcdctl-runner.js';
import { buildConsole, connectBrowser, launchBrowserServer, poll, STEP_TIMEOUT_MS, stopBrowserThenCluster } from './browser-kit.js';

const SCREENSHOTS_ASKED = process.env.BVAULT_CONSOLE_SCREENSHOTS;
const SCREENSHOTS = SCREENSHOTS_ASKED === undefined ? mkdtempSync(join(tmpdir(), 'bv-console-screenshots-')) : resolve(REPOSITORY_ROOT, SCREENSHOTS_ASKED);
/** What a member's death may take to show: the console polls every second. */
const DOWN_SHOWN_WITHIN_MS = 5_000;
const FIRST_PAINT_MAX_MS = 1_000;

let cluster: TestCluster;
let server: BrowserServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  buildConsole();
  [cluster, server] = await Promise.all([TestCluster.start({ size: 3, prefix: 'console' }), launchBrowserServer()]);
  browser = await connectBrowser(server);
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
}, 60_000);

afterAll(async () => {
  await stopBrowserThenCluster(server, browser, cluster);
  if (SCREENSHOTS_ASKED === undefined) rmSync(SCREENSHOTS, { recursive: true, force: true });
});

/** The console of the member every test uses: n1, which is never the one killed. */
const consoleUrl = (): string => cluster.member('n1').url;

async function confirm(): Promise<void> {
  await page.locator('#confirm-ok').click();
}

describe('the web console against a three-member cluster', () => {
  it('sends / to the console, paints within a second, and shows every member and the leader', async () => {
    await page.goto(`${consoleUrl()}/`);
    expect(new URL(page.url()).pathname).toBe('/ui/');
    // The browser records the paint a moment after the load event: wait for the entry, not a time.
    // A function, not a string: Playwright re-evaluates a string with eval on every poll, which the
    // console's Content-Security-Policy (script-src 'self') refuses once the first check is false.
    await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0);
    const firstPaintMs = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1);
    console.log(`console first contentful paint: ${firstPaintMs.toFixed(0)} ms`);
    expect(firstPaintMs).toBeGreaterThan(0);
    expect(firstPaintMs).toBeLessThan(FIRST_PAINT_MAX_MS);
    const leader = await cluster.leader();
    await poll(() => page.locator('#members tbody tr').count()).toBe(3);
    await poll(() => page.locator('#summary-leader').textContent()).toBe(leader.name);
    await poll(() => page.locator('#members tr[data-health="up"]').count()).toBe(3);
    // Every member's own figures, read from it: its term (column 5) and version (column 10).
    for (const name of ['n1', 'n2', 'n3']) {
      await poll(() => page.locator(`#members tr[data-member="${name}"] td:nth-child(5)`).textContent()).toMatch(/^\d+$/);
      await poll(() => page.locator(`#members tr[data-member="${name}"] td:nth-child(10)`).textContent()).toMatch(/^\d+\.\d+\.\d+/);
    }
    // A few seconds of figures, so the charts have a line.
    await poll(() => page.locator('.chart strong').first().textContent()).not.toBe('—');
    // Some traffic for the picture: the charts follow it (nothing is asserted about the figures).
    const trafficEnd = Date.now() + 5_000;
    for (let index = 0; Date.now() < trafficEnd; index++) {
      await Promise.all(cluster.members.map((member) => member.request('PUT', `/api/v1/keys/traffic/${member.name}`, `write ${index}`)));
      await page.waitForTimeout(20 + (index % 10) * 15);
    }
    await page.waitForTimeout(1_500);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-cluster.png') });
  });

  it('writes a key that etcdctl reads back, and shows it pretty-printed with its metadata', async () => {
    await page.goto(`${consoleUrl()}/ui/#/keys`);
    await page.locator('#put-key').fill('console/greeting');
    await page.locator('#put-value').fill('{"hello":"from the console","n":1}');
    await page.locator('#put-type').selectOption('application/json');
    await page.locator('#put-tags').fill('owner=ops');
    await page.locator('#put-form button[type="submit"]').click();
    await confirm();
    await poll(() => page.locator('#notice').textContent()).toBe('Wrote console/greeting');
    const read = await etcdctlOk(cluster.members, ['get', 'console/greeting', '--print-value-only']);
    expect(read.trim()).toBe('{"hello":"from the console","n":1}');
    await poll(() => page.locator('#value').textContent()).toBe('{\n  "hello": "from the console",\n  "n": 1\n}');
    await poll(() => page.locator('#key-detail').textContent()).toContain('owner=ops');
    await page.locator('#prefix').fill('console/');
    await page.locator('#prefix').press('Enter');
    await poll(() => page.locator('#key-list button.key').allTextContents()).toEqual(['console/greeting']);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-keys.png'), fullPage: true });
  });

  it('reads a key at an earlier revision, shows binary values as hex, runs a transaction and deletes, each confirmed', async () => {
    await page.goto(`${consoleUrl()}/ui/#/keys`);
    await page.reload();
    const firstRevision = Number(JSON.parse(await etcdctlOk(cluster.members, ['get', 'console/greeting', '-w', 'json'])).kvs[0].mod_revision);
    await page.locator('#put-key').fill('console/greeting');
    await page.locator('#put-value').fill('second');
    await page.locator('#put-form button[type="submit"]').click();
    await confirm();
    await poll(() => page.locator('#value').textContent()).toBe('second');
    await page.locator('#at-revision').fill(String(firstRevision));
    await page.locator('#at-revision').press('Enter');
    await poll(() => page.locator('#value').textContent()).toContain('"from the console"');

    const binary = await cluster.member('n2').request('PUT', '/api/v1/keys/console/binary', new Uint8Array([0, 1, 2, 0xff]), { 'content-type': 'application/octet-stream' });
    expect(binary.status, binary.text).toBe(200);
    await page.locator('#prefix').fill('console/');
    await page.locator('#prefix').press('Enter');
    await page.locator('#key-list button.key[data-key="console/binary"]').click();
    await poll(() => page.locator('#value').textContent()).toBe('00000000  00 01 02 ff' + ' '.repeat(36) + '  ....');

    // The form's example: put config/mode=on if it does not exist.
    await page.locator('#txn-form button[type="submit"]').click();
    await confirm();
    await poll(() => page.locator('#txn-result').textContent()).toContain('"succeeded": true');
    expect((await etcdctlOk(cluster.members, ['get', 'config/mode', '--print-value-only'])).trim()).toBe('on');

    // Cancelling the confirmation writes nothing; confirming deletes.
    await page.locator('#key-detail button.danger').click();
    await page.locator('#confirm button[value="cancel"]').click();
    expect(await etcdctlOk(cluster.members, ['get', 'console/binary', '--keys-only'])).toContain('console/binary');
    await page.locator('#key-detail button.danger').click();
    await confirm();
    await poll(() => page.locator('#notice').textContent()).toBe('Deleted console/binary');
    expect(await etcdctlOk(cluster.members, ['get', 'console/binary', '--keys-only'])).toBe('');
  });

  it('tails a prefix and shows a write made with etcdctl', async () => {
    await page.goto(`${consoleUrl()}/ui/#/watch`);
    await page.locator('#watch-prefix').fill('watched/');
    await page.locator('#watch-start').click();
    await poll(() => page.locator('#watch-state').textContent()).toContain('Watching');
    // The stream is open once the console shows it watching; etcdctl writes after that.
    await etcdctlOk(cluster.members, ['put', 'watched/door', 'opened by etcdctl']);
    await etcdctlOk(cluster.members, ['put', 'elsewhere/door', 'not watched']);
    await etcdctlOk(cluster.members, ['del', 'watched/door']);
    await poll(() => page.locator('#watch-rows tr').count()).toBe(2);
    expect(await page.locator('#watch-rows tr').last().textContent()).toContain('opened by etcdctl');
    await page.locator('#watch-type').selectOption('put');
    await poll(() => page.locator('#watch-rows tr').count()).toBe(1);
    await page.locator('#watch-type').selectOption('all');
    await page.screenshot({ path: join(SCREENSHOTS, 'console-watch.png') });
    // Paused, events wait and are counted; resumed, they are shown.
    await page.locator('#watch-pause').click();
    await etcdctlOk(cluster.members, ['put', 'watched/window', 'while paused']);
    await poll(() => page.locator('#watch-pause').textContent()).toBe('Resume (1 waiting)');
    expect(await page.locator('#watch-rows tr').count()).toBe(2);
    await page.locator('#watch-pause').click();
    await poll(() => page.locator('#watch-rows tr').count()).toBe(3);
    await page.locator('#watch-filter').fill('paused');
    await poll(() => page.locator('#watch-rows tr').count()).toBe(1);
    await page.locator('#watch-start').click();
  });

  it('lists members, leases and alarms in the operations view', async () => {
    await etcdctlOk(cluster.members, ['lease', 'grant', '600']);
    await page.goto(`${consoleUrl()}/ui/#/operations`);
    await poll(() => page.locator('#members-panel tbody tr').count()).toBe(3);
    await poll(() => page.locator('#leases-panel tbody tr').count()).toBe(1);
    await poll(() => page.locator('#alarms-panel').textContent()).toContain('No alarm is raised');
    await page.screenshot({ path: join(SCREENSHOTS, 'console-operations.png'), fullPage: true });
  });

  it('compacts history at the revision shown and defragments its member, each confirmed', async () => {
    await page.locator('#maintenance-panel form button[type="submit"]').click();
    await confirm();
    await poll(() => page.locator('#notice').textContent()).toMatch(/^Compacted at \d+$/);
    const compacted = await etcdctl(cluster.members, ['get', 'console/greeting', '--rev=2']);
    expect(compacted.stderr).toContain('required revision has been compacted');
    await page.locator('#maintenance-panel button', { hasText: 'Defragment' }).click();
    await confirm();
    await poll(() => page.locator('#notice').textContent()).toBe('Defragmented n1');
  });

  it('adds a learner, refuses to promote it before it caught up, and removes it, each confirmed', async () => {
    // A learner that never starts: added to the configuration, it stays behind.
    await page.locator('#learner-name').fill('n9');
    await page.locator('#learner-peer').fill('127.0.0.1:9');
    await page.locator('#members-panel form button[type="submit"]').click();
    await confirm();
    await poll(() => page.locator('#members-panel tr[data-member="n9"]').textContent()).toContain('learner');
    // etcdctl lists a member that never started by its peer URL alone.
    const learnerPeer = /127\.0\.0\.1:9(,|\s|$)/m;
    expect(await etcdctlOk(cluster.members, ['member', 'list'])).toMatch(learnerPeer);
    await page.locator('#members-panel tr[data-member="n9"] button', { hasText: 'Promote' }).click();
    await confirm();
    await poll(() => page.locator('#notice').getAttribute('class')).toBe('error');
    await page.locator('#members-panel tr[data-member="n9"] button', { hasText: 'Remove' }).click();
    await confirm();
    await poll(() => page.locator('#members-panel tr[data-member="n9"]').count()).toBe(0);
    expect(await etcdctlOk(cluster.members, ['member', 'list'])).not.toMatch(learnerPeer);
  });

  it('moves the leadership when asked and confirmed, and downloads a backup', async () => {
    const leader = await cluster.leader();
    const target = leader.name === 'n1' ? 'n2' : 'n1';
    await page.locator(`#members-panel tr[data-member="${target}"] button`, { hasText: 'Make leader' }).click();
    await confirm();
    await poll(async () => (await cluster.leader()).name).toBe(target);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#backup').click()]);
    expect(download.suggestedFilename()).toMatch(/^bvault-backup-r\d+\.snapshot$/);
    await page.goto(`${consoleUrl()}/ui/#/cluster`);
    await poll(() => page.locator('#summary-leader').textContent()).toBe(target);
    // The same page saw the change: the newest entry of its leader changes names the new leader.
    await poll(() => page.locator('#leader-changes li').first().textContent()).toContain(`${target} (term`);
    expect(await page.locator('#leader-changes li').count()).toBeGreaterThan(1);
  });

  it('shows a killed member as down within 5 s', async () => {
    await page.goto(`${consoleUrl()}/ui/#/cluster`);
    await poll(() => page.locator('#members tr[data-health="up"]').count()).toBe(3);
    const killedAt = Date.now();
    await cluster.member('n3').kill();
    await page.locator('#members tr[data-member="n3"][data-health="down"]').waitFor({ timeout: DOWN_SHOWN_WITHIN_MS });
    console.log(`a killed member shown as down after ${Date.now() - killedAt} ms`);
  });

  it('asks for a login once authentication is on, writes nothing by itself, keeps the token in memory only, and logs out', async () => {
    await cluster.leader(); // n3, killed above, may have led
    const running = cluster.running();
    const asRoot = ['--user', 'root:console-password'];
    await etcdctlOk(running, ['user', 'add', 'root:console-password', '--interactive=false']);
    await etcdctlOk(running, ['auth', 'enable']);
    const revision = async (): Promise<number> => JSON.parse(await etcdctlOk([cluster.member('n1')], [...asRoot, 'endpoint', 'status', '-w', 'json']))[0].Status.header.revision;
    const before = await revision();

    await page.goto(`${consoleUrl()}/ui/#/keys`);
    await page.locator('#login').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'console-login.png') });
    await page.locator('#login-password').fill('not the password');
    await page.locator('#login button[type="submit"]').click();
    await poll(() => page.locator('#notice').textContent()).toContain('AUTH_FAILED');
    await page.locator('#login-password').fill('console-password');
    await page.locator('#login button[type="submit"]').click();
    await poll(() => page.locator('#key-list button.key').allTextContents()).toContain('console/greeting');
    // A reload forgets the token: it was kept in the page's memory only.
    await page.goto(`${consoleUrl()}/ui/#/operations`);
    await page.reload();
    await page.locator('#login').waitFor();
    // Evaluated in the page, written as text: the tests are compiled without the DOM's types.
    expect(await page.evaluate('[localStorage.length, sessionStorage.length, document.cookie]')).toEqual([0, 0, '']);

    await page.locator('#login-password').fill('console-password');
    await page.locator('#login button[type="submit"]').click();
    await poll(() => page.locator('#members-panel tbody tr').count()).toBe(3);
    await page.locator('#logout').click();
    await page.locator('#login').waitFor();
    expect(await revision()).toBe(before);
  });
});
