// The browser the console's tests drive: Debian's chromium (npm test installs it), headless,
// with nothing that reaches the network: no updates, no sync, no proxy lookup.
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
