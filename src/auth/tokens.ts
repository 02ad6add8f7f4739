// What a token provider does: hand out a token for a user who proved its password, and say
// which user and auth revision a presented token stands for. Two kinds, as etcd's `auth-token`:
// simple (simple-tokens.ts) and JWT (jwt-tokens.ts).

export interface TokenInfo {
  readonly name: string;
  /** The auth revision a request with this token carries; apply refuses it once the store's has moved past. */
  readonly authRevision: number;
}

export interface TokenProvider {
  /** A new token for `name`, valid on every member. */
  assign(name: string, authRevision: number): Promise<string>;
  /**
   * The token's user and auth revision; rejects with AUTH_INVALID_TOKEN when it is unknown,
   * expired, malformed or another cluster's. A simple token stands for the current revision
   * (`authRevision`, as etcd), a JWT for the one it was signed at.
   */
  info(token: string, authRevision: number): Promise<TokenInfo>;
  close(): void;
}
