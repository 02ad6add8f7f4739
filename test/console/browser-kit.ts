// The browser the console's tests drive: Debian's chromium (npm test installs it), headless,
// with nothing that reaches the network: no updates, no sync, no proxy lookup; and the console
// built from the sources under test, which the members serve from dist/console.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserServer } from 'playwright-core';
import { expect } from 'vitest';
import { REPOSITORY_ROOT } from '../cluster/cluster-harness.js';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--disable-domain-reliability',
  '--metrics-recording-only',
  '--proxy-server=direct://',
  '--proxy-bypass-list=*',
];

/** How long one step on the page may take (vitest's own default for expect.poll is 1 s, which a busy machine can exceed). */
export const STEP_TIMEOUT_MS = 10_000;

/** Builds the console if its sources changed since the last build. */
export function buildConsole(): void {
  execFileSync(process.execPath, ['scripts/build-console.mjs', '--if-stale'], { cwd: REPOSITORY_ROOT, stdio: 'inherit', timeout: STEP_TIMEOUT_MS * 3 });
}

/** A browser server, so that its process, and so its pid, is the test's to stop (stopBrowserThenCluster). */
export async function launchBrowserServer(): Promise<BrowserServer> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: npm test installs Debian's chromium (test/setup/ensure-test-tools.sh)`);
  return chromium.launchServer({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, timeout: STEP_TIMEOUT_MS });
}

export function connectBrowser(server: BrowserServer): Promise<Browser> {
  return chromium.connect(server.wsEndpoint(), { timeout: STEP_TIMEOUT_MS });
}

/** What the page shows, asked again until it matches or STEP_TIMEOUT_MS passes. */
export function poll<T>(read: () => Promise<T> | T): ReturnType<typeof expect.poll<T>> {
  return expect.poll(read, { timeout: STEP_TIMEOUT_MS, interval: 100 });
}

/** Closes the browser, then kills its process by pid in case closing did not end it. */
async function stopBrowser(server: BrowserServer | undefined, browser: Browser | undefined): Promise<void> {
  const pid = server?.process().pid;
  await browser?.close().catch(() => undefined);
  await server?.close().catch(() => undefined);
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Stops the browser, then the members whatever happened to the browser. */
export async function stopBrowserThenCluster(server: BrowserServer | undefined, browser: Browser | undefined, cluster: { destroy(): Promise<void> } | undefined): Promise<void> {
  try {
    await stopBrowser(server, browser);
  } finally {
    await cluster?.destroy();
  }
}
