// Authentication and role-based access beneath every client API: the real NodeAccess. It
// resolves a call's credentials (a token, a password over REST, a verified client
// certificate's common name) to a caller, and serves the call from an AuthorizedNode that
// checks that caller's permissions. It also carries out etcd's Auth service: Authenticate,
// and the user and role changes and reads, with etcd 3.4's rules on who may do what.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { CallerNode, CallOrigin, Credentials, NodeAccess } from '../access/node-access.js';
import { MvccError } from '../mvcc/errors.js';
import type { KvNode } from '../node/kv-node.js';
import { checkAdmin } from './auth-apply.js';
import type { AuthRequest, AuthResponse, TokenEvent } from './auth-requests.js';
import type { AuthState, Caller, RoleRecord, UserRecord } from './auth-state.js';
import { type AuthStateSource, AuthorizedNode } from './authorized-node.js';
import { DEFAULT_FAILED_ATTEMPT_LIMITS, type FailedAttemptLimits, FailedAttempts } from './failed-attempts.js';
import { JwtTokens } from './jwt-tokens.js';
import { hashPassword, verifyPassword } from './password-hash.js';
import { SimpleTokens } from './simple-tokens.js';
import type { TokenSettings } from './token-settings.js';
import type { TokenProvider } from './tokens.js';

/** What the manager needs of the node beyond KvNode: its auth state and the simple tokens it applies. */
export interface AuthNode extends KvNode, AuthStateSource {
  addTokenListener(listener: (event: TokenEvent) => void): () => void;
  /** Resolves once the member has applied everything committed when it was called. */
  catchUp(): Promise<void>;
}

export interface AuthManagerOptions {
  readonly node: AuthNode;
  readonly tokens: TokenSettings;
  readonly failedAttempts?: FailedAttemptLimits;
  /** A clock that never jumps, for token TTLs and the failed-attempt window. */
  readonly nowMs?: () => number;
}

/** An auth change as a client asks for it: with the password, which the manager hashes before proposing. */
export type AuthChange =
  | Exclude<AuthRequest, { readonly op: 'authenticate' | 'userAdd' | 'userChangePassword' }>
  /** `password` undefined: a user without a password (etcd's `options.noPassword`). */
  | { readonly op: 'userAdd'; readonly name: string; readonly password: string | undefined }
  | { readonly op: 'userChangePassword'; readonly name: string; readonly password: string };

export class AuthManager implements NodeAccess {
  private readonly failures: FailedAttempts;
  private readonly unsubscribe: () => void;
  private decoy: Promise<string> | undefined;
  private anonymous: AuthorizedNode | undefined;

  private constructor(
    private readonly node: AuthNode,
    private readonly tokens: TokenProvider,
    nowMs: () => number,
    failedAttempts: FailedAttemptLimits,
  ) {
    this.failures = new FailedAttempts(nowMs, failedAttempts);
    this.unsubscribe = tokens instanceof SimpleTokens ? node.addTokenListener((event) => tokens.observe(event)) : () => undefined;
  }

  /** Rejects when a JWT key file cannot be read or parsed, naming the file. */
  static async open(options: AuthManagerOptions): Promise<AuthManager> {
    const nowMs = options.nowMs ?? (() => performance.now());
    const { node } = options;
    const tokens: TokenProvider =
      options.tokens.kind === 'jwt'
        ? await JwtTokens.open(options.tokens)
        : new SimpleTokens({
            ttlMs: options.tokens.ttlMs,
            nowMs,
            catchUp: () => node.catchUp(),
            propose: async (name, token) => {
              await node.write({ type: 'auth', auth: { op: 'authenticate', name, token } });
            },
          });
    return new AuthManager(node, tokens, nowMs, options.failedAttempts ?? DEFAULT_FAILED_ATTEMPT_LIMITS);
  }

  async nodeFor(_origin: CallOrigin, credentials: Credentials): Promise<CallerNode> {
    const state = this.node.authState();
    if (!state.enabled) return this.anonymousView(state.revision);
    return new AuthorizedNode(this.node, this.node, await this.callerOf(credentials));
  }

  /** While auth is off every caller is the same anonymous one: one view per auth revision, not one per call. */
  private anonymousView(authRevision: number): AuthorizedNode {
    if (this.anonymous?.caller.authRevision !== authRevision) this.anonymous = new AuthorizedNode(this.node, this.node, { user: '', authRevision });
    return this.anonymous;
  }

  /**
   * Who the credentials stand for. While authentication is off nothing is checked and a token is
   * ignored (etcd); the caller still carries the auth revision, so a write checked before
   * AuthEnable is refused at apply after it. A token wins over a certificate, as in etcd.
   */
  async callerOf(credentials: Credentials): Promise<Caller> {
    const state = this.node.authState();
    if (!state.enabled) return { user: '', authRevision: state.revision };
    if (credentials.token !== undefined && credentials.token !== '') {
      const info = await this.tokens.info(credentials.token, state.revision);
      return { user: info.name, authRevision: info.authRevision };
    }
    if (credentials.password !== undefined) {
      await this.checkPassword(state, credentials.password.user, credentials.password.password);
      return { user: credentials.password.user, authRevision: state.revision };
    }
    return { user: credentials.certificateCommonName ?? '', authRevision: state.revision };
  }

  /** etcd's Authenticate: checks the password and returns a token every member accepts. */
  async authenticate(name: string, password: string): Promise<string> {
    // A linearizable barrier first, as etcd's Authenticate does: a member that has not yet
    // applied an auth change made through another member (auth enable, a new user, a new
    // password) must not answer from before it.
    const state = await this.currentState();
    if (!state.enabled) throw new MvccError('AUTH_NOT_ENABLED');
    await this.checkPassword(state, name, password);
    return this.tokens.assign(name, state.revision);
  }

  /**
   * A user or role change, proposed with the caller so apply checks the root role again. The
   * root role is checked first, so nobody else makes this member hash a password; the password is
   * hashed here, on the member that received it, and never proposed. `through` is the caller's
   * view the write goes through (the API's, so the audit log sees it).
   */
  async change(caller: Caller, change: AuthChange, through: KvNode = new AuthorizedNode(this.node, this.node, caller)): Promise<AuthResponse> {
    checkAdmin(this.node.authState(), caller);
    const request = await this.hashed(change);
    const response = await through.write({ type: 'auth', auth: request });
    if (response.type !== 'auth') throw new Error(`an auth change was answered with a ${response.type} response`);
    return response.auth;
  }

  /** Root, or the user itself (etcd's UserGet). */
  async userGet(caller: Caller, name: string): Promise<UserRecord> {
    const state = await this.currentState();
    if (caller.user !== name || !state.enabled) checkAdmin(state, caller);
    const user = state.users.get(name);
    if (user === undefined) throw new MvccError('AUTH_USER_NOT_FOUND');
    return user;
  }

  /** Root, or a user that has the role (etcd's RoleGet). */
  async roleGet(caller: Caller, name: string): Promise<RoleRecord> {
    const state = await this.currentState();
    if (!(state.users.get(caller.user)?.roles.includes(name) ?? false)) checkAdmin(state, caller);
    const role = state.roles.get(name);
    if (role === undefined) throw new MvccError('AUTH_ROLE_NOT_FOUND');
    return role;
  }

  async userList(caller: Caller): Promise<string[]> {
    const state = await this.currentState();
    checkAdmin(state, caller);
    return [...state.users.keys()].sort();
  }

  async roleList(caller: Caller): Promise<string[]> {
    const state = await this.currentState();
    checkAdmin(state, caller);
    return [...state.roles.keys()].sort();
  }

  /** etcd 3.5's AuthStatus: open to everyone, as it says only whether auth is on and its revision. */
  async status(): Promise<Pick<AuthState, 'enabled' | 'revision'>> {
    const { enabled, revision } = await this.currentState();
    return { enabled, revision };
  }

  /**
   * The auth state after a linearizable barrier: etcd serves its auth reads through the log, so
   * a user or role changed through another member is seen here at once.
   */
  private async currentState(): Promise<AuthState> {
    await this.node.catchUp();
    return this.node.authState();
  }

  close(): void {
    this.unsubscribe();
    this.tokens.close();
  }

  private async hashed(change: AuthChange): Promise<AuthRequest> {
    if (change.op === 'userAdd') {
      return change.password === undefined ? { op: 'userAdd', name: change.name } : { op: 'userAdd', name: change.name, passwordHash: await hashPassword(change.password) };
    }
    if (change.op === 'userChangePassword') return { op: 'userChangePassword', name: change.name, passwordHash: await hashPassword(change.password) };
    return change;
  }

  /**
   * Constant time: an unknown user or one without a password is checked against a decoy hash,
   * so the answer takes as long as for a wrong password. The attempt counts as a failure until
   * it succeeds, so concurrent guesses cannot slip past the limit together.
   */
  private async checkPassword(state: AuthState, name: string, password: string): Promise<void> {
    this.failures.check(name);
    this.failures.recordFailure(name);
    const user = state.users.get(name);
    const matches = await verifyPassword(password, user?.passwordHash ?? (await this.decoyHash()));
    if (!matches || user?.passwordHash === undefined) throw new MvccError('AUTH_FAILED');
    this.failures.recordSuccess(name);
  }

  private decoyHash(): Promise<string> {
    this.decoy ??= hashPassword(randomBytes(32).toString('hex'));
    return this.decoy;
  }
}
