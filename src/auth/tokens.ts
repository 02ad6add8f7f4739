// What a token provider does: hand out a token for a user who proved its password, and say
// which user and auth revision a presented token stands for. Two kinds, as etcd's `auth-token`:
// simple (simple-tokens.ts) and JWT (jwt-tokens.ts).

export interface TokenInfo {
  readonly name: string;
  /** The auth revision the token was issued at; a request carries it and is refused once it is old. */
  readonly authRevision: number;
}

export interface TokenProvider {
  /** A new token for `name`, valid on every member. */
  assign(name: string, authRevision: number): Promise<string>;
  /** The token's user and revision; rejects with AUTH_INVALID_TOKEN when it is unknown, expired, malformed or another cluster's. */
  info(token: string): Promise<TokenInfo>;
  close(): void;
}
