// The web console over HTTPS with client-cert-auth and authentication on, in headless
// chromium (playwright-core): the browser presents a client certificate whose common name
// is no user, so the console asks for a login; after it, a key written through the console is
// read back with etcdctl as root; logging out brings the login form back. One member.
import type { Browser, BrowserServer, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, temporaryDirectory } from '../cluster/cluster-harness.js';
import { etcdctlOk } from '../etcd-compat/etcdctl-runner.js';
import { TestCertificates, tlsServerArgs } from '../support/test-certificates.js';
import { buildConsole, connectBrowser, launchBrowserServer, poll, STEP_TIMEOUT_MS, stopBrowserThenCluster } from './browser-kit.js';

let cluster: TestCluster;
let server: BrowserServer;
let browser: Browser;
let page: Page;
let asRoot: string[];

beforeAll(async () => {
  buildConsole();
  const certificates = await TestCertificates.create(await temporaryDirectory('console-tls'));
  const [serverCertificate, peer, root, browserCertificate] = [await certificates.issue('server'), await certificates.issue('peer'), await certificates.issue('root'), await certificates.issue('console-browser')];
  const clientTls = await certificates.clientMaterial(root);
  [cluster, server] = await Promise.all([
    TestCluster.start({ size: 1, prefix: 'console-tls', extraArgs: tlsServerArgs(certificates.caFile, serverCertificate, peer), memberOptions: () => ({ clientTls }) }),
    launchBrowserServer(),
  ]);
  asRoot = ['--cacert', certificates.caFile, '--cert', root.certFile, '--key', root.keyFile];
  await etcdctlOk(cluster.members, [...asRoot, 'user', 'add', 'root:console-tls-password', '--interactive=false']);
  await etcdctlOk(cluster.members, [...asRoot, 'user', 'grant-role', 'root', 'root']);
  await etcdctlOk(cluster.members, [...asRoot, 'auth', 'enable']);
  browser = await connectBrowser(server);
  // The test CA is not the browser's: its certificate errors are ignored, the client certificate is presented.
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    clientCertificates: [{ origin: cluster.members[0]!.url, certPath: browserCertificate.certFile, keyPath: browserCertificate.keyFile }],
  });
  page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
}, 60_000);

afterAll(() => stopBrowserThenCluster(server, browser, cluster));

describe('the web console over HTTPS with client certificates and authentication on', () => {
  it('asks for a login, writes what the user confirms, and logs out', async () => {
    const member = cluster.members[0]!;
    await page.goto(`${member.url}/`);
    expect(page.url()).toBe(`${member.url}/ui/`);
    await page.locator('#login').waitFor();
    await page.locator('#login-password').fill('console-tls-password');
    await page.locator('#login button[type="submit"]').click();
    await poll(() => page.locator('#summary-leader').textContent()).toBe(member.name);

    await page.goto(`${member.url}/ui/#/keys`);
    await page.locator('#put-key').fill('tls/greeting');
    await page.locator('#put-value').fill('over https');
    await page.locator('#put-form button[type="submit"]').click();
    await page.locator('#confirm-ok').click();
    await poll(() => page.locator('#notice').textContent()).toBe('Wrote tls/greeting');
    expect((await etcdctlOk(cluster.members, [...asRoot, 'get', 'tls/greeting', '--print-value-only'])).trim()).toBe('over https');

    await page.locator('#logout').click();
    await page.locator('#login').waitFor();
  });
});
