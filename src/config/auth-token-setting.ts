// The `auth-token` setting, as etcd spells it: `simple` (the default), or
// `jwt,pub-key=PATH,priv-key=PATH,sign-method=RS256|ES256[,ttl=5m]`. Parsing returns every
// problem at once, in words that name the option and the value, for the configuration check.
import { JWT_SIGN_METHODS, type JwtSignMethod, type TokenSettings } from '../auth/token-settings.js';
import { parseDurationMs } from './config-values.js';

/** etcd's default JWT lifetime. */
const JWT_TTL_DEFAULT_MS = 5 * 60_000;

/** `simpleTtlSeconds` is `auth-token-ttl`: simple tokens only (a JWT carries its own `ttl=`). */
export function parseTokenSettings(value: string, simpleTtlSeconds: number): { settings?: TokenSettings; problems: string[] } {
  const [kind, ...parts] = value.split(',');
  if (kind === 'simple' && parts.length === 0) return { settings: { kind: 'simple', ttlMs: simpleTtlSeconds * 1000 }, problems: [] };
  if (kind !== 'jwt') return { problems: [`auth-token must be "simple" or "jwt,pub-key=PATH,priv-key=PATH,sign-method=RS256|ES256[,ttl=5m]", got "${value}"`] };
  const problems: string[] = [];
  const options = new Map<string, string>();
  for (const part of parts) {
    const equals = part.indexOf('=');
    const name = equals < 0 ? part : part.slice(0, equals);
    if (!['pub-key', 'priv-key', 'sign-method', 'ttl'].includes(name)) problems.push(`auth-token has an unknown jwt option "${name}" (known: pub-key, priv-key, sign-method, ttl)`);
    else options.set(name, equals < 0 ? '' : part.slice(equals + 1));
  }
  const publicKeyPath = options.get('pub-key') ?? '';
  if (publicKeyPath === '') problems.push('auth-token jwt needs pub-key=PATH (the public key every member verifies tokens with)');
  const signMethod = options.get('sign-method') ?? '';
  if (!(JWT_SIGN_METHODS as readonly string[]).includes(signMethod)) problems.push(`auth-token jwt sign-method must be one of ${JWT_SIGN_METHODS.join(', ')}, got "${signMethod}"`);
  const ttlText = options.get('ttl');
  const ttlMs = ttlText === undefined ? JWT_TTL_DEFAULT_MS : parseDurationMs(ttlText);
  if (ttlMs === undefined || ttlMs <= 0) problems.push(`auth-token jwt ttl must be a positive duration such as 30s, 5m or 1h, got "${ttlText ?? ''}"`);
  if (problems.length > 0) return { problems };
  const privateKeyPath = options.get('priv-key');
  return {
    settings: { kind: 'jwt', publicKeyPath, ...(privateKeyPath === undefined || privateKeyPath === '' ? {} : { privateKeyPath }), signMethod: signMethod as JwtSignMethod, ttlMs: ttlMs as number },
    problems,
  };
}
