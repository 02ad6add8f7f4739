// What the `auth-token` and `auth-token-ttl` settings choose (parsed in
// src/config/auth-token-setting.ts): simple tokens with a TTL, or JWTs signed with a key pair.

export const JWT_SIGN_METHODS = ['RS256', 'ES256'] as const;
export type JwtSignMethod = (typeof JWT_SIGN_METHODS)[number];

export interface JwtTokenSettings {
  readonly kind: 'jwt';
  readonly publicKeyPath: string;
  /** Absent: this member only verifies tokens (etcd's verify-only JWT). */
  readonly privateKeyPath?: string;
  readonly signMethod: JwtSignMethod;
  readonly ttlMs: number;
}

export type TokenSettings = { readonly kind: 'simple'; readonly ttlMs: number } | JwtTokenSettings;
