// `--user name:password`, as etcdctl takes it, for the command-line tools that build a client
// from flags (bvault's client commands and bvault bench). The password may contain colons.
import type { ClientUser } from './token-source.js';

/** Undefined when there is no name before a colon. */
export function userOfFlag(text: string): ClientUser | undefined {
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  return Object.freeze({ name: text.slice(0, colon), password: text.slice(colon + 1) });
}

/** The flag's text for an error message, never showing a password. */
export function shownUserFlag(text: string): string {
  return JSON.stringify(text.replace(/:.*/s, ':…'));
}
