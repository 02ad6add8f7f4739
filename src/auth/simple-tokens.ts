// etcd's simple tokens: random strings that every member learns through the log (the
// Authenticate entry carries the token; auth-requests.ts), held in memory only, each valid
// until it goes unused for the TTL (etcd renews a simple token on every use). A simple token
// stands for its user at the store's current auth revision, as in etcd: permission changes take
// effect on the next call without a new token. A user's tokens end when its password changes or
// it is deleted, all of them on AuthDisable. A restart forgets them and clients authenticate
// again, as with etcd. Tokens from another cluster, or from before a restart, are unknown.
import { randomBytes } from 'node:crypto';
import { MvccError } from '../mvcc/errors.js';
import type { TokenEvent } from './auth-requests.js';
import type { TokenInfo, TokenProvider } from './tokens.js';

interface Entry {
  readonly name: string;
  expiresAtMs: number;
}

export interface SimpleTokenOptions {
  readonly ttlMs: number;
  /** A clock that never jumps. */
  readonly nowMs: () => number;
  /** Proposes the Authenticate entry that assigns `token` on every member; resolves once applied here. */
  readonly propose: (name: string, token: string) => Promise<void>;
  /** Resolves once this member applied what is committed: a token issued by another member a moment ago is known after it. */
  readonly catchUp: () => Promise<void>;
}

/** 24 random bytes: a token cannot be guessed. */
const TOKEN_BYTES = 24;
/** Expired tokens are swept when this many were assigned since the last sweep, so the table stays bounded by the live ones. */
const SWEEP_EVERY_ASSIGNMENTS = 1_024;

export class SimpleTokens implements TokenProvider {
  private readonly tokens = new Map<string, Entry>();
  private assignedSinceSweep = 0;

  constructor(private readonly options: SimpleTokenOptions) {}

  async assign(name: string): Promise<string> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    await this.options.propose(name, token);
    return token;
  }

  /** Called for every token event this member applies, its own and other members'. */
  observe(event: TokenEvent): void {
    if (event.type === 'allInvalidated') return this.tokens.clear();
    if (event.type === 'userInvalidated') {
      for (const [token, entry] of this.tokens) if (entry.name === event.name) this.tokens.delete(token);
      return;
    }
    this.tokens.set(event.token, { name: event.name, expiresAtMs: this.options.nowMs() + this.options.ttlMs });
    if (++this.assignedSinceSweep >= SWEEP_EVERY_ASSIGNMENTS) this.sweep();
  }

  /**
   * A token this member does not know yet may have just been issued by another: it is looked up
   * again once this member has caught up with what is committed, before it is called invalid.
   */
  async info(token: string, authRevision: number): Promise<TokenInfo> {
    const known = this.lookUp(token);
    if (known !== undefined) return { name: known, authRevision };
    await this.options.catchUp();
    const caughtUp = this.lookUp(token);
    if (caughtUp === undefined) throw new MvccError('AUTH_INVALID_TOKEN');
    return { name: caughtUp, authRevision };
  }

  /** The token's user, renewing its TTL; undefined when unknown or expired. */
  private lookUp(token: string): string | undefined {
    const entry = this.tokens.get(token);
    const now = this.options.nowMs();
    if (entry === undefined || entry.expiresAtMs <= now) {
      this.tokens.delete(token);
      return undefined;
    }
    entry.expiresAtMs = now + this.options.ttlMs;
    return entry.name;
  }

  close(): void {
    this.tokens.clear();
  }

  private sweep(): void {
    this.assignedSinceSweep = 0;
    const now = this.options.nowMs();
    for (const [token, entry] of this.tokens) if (entry.expiresAtMs <= now) this.tokens.delete(token);
  }
}
