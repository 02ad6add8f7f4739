// The browser the console's tests drive: Debian's chromium (npm test installs it), headless,
// with nothing that reaches the network: no updates, no sync, no proxy lookup.
import type { Browser, BrowserServer } from 'playwright-core';

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

/** Closes the browser, then kills its process by pid in case closing did not end it. */
export async function stopBrowser(server: BrowserServer | undefined, browser: Browser | undefined): Promise<void> {
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
