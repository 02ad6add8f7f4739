// Same-origin calls to this member's REST API. With authentication on, the token from
// POST /api/v1/auth/authenticate is kept in this module's memory only (never in storage or a
// cookie), so closing or reloading the tab logs out, and no call is made without it.
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let token: string | undefined;
/** Set once the member refused a call for want of credentials: authentication is on. */
let authRequired = false;
const authListeners: (() => void)[] = [];

export function authenticationRequired(): boolean {
  return authRequired;
}

export function loggedIn(): boolean {
  return token !== undefined;
}

/** Called when the member asks for credentials (auth is on and there is no valid token). */
export function onAuthenticationNeeded(listener: () => void): void {
  authListeners.push(listener);
}

export async function login(name: string, password: string): Promise<void> {
  const answer = await json<{ token: string }>('POST', '/api/v1/auth/authenticate', { name, password });
  token = answer.token;
}

export function logout(): void {
  token = undefined;
  notifyAuthenticationNeeded();
}

function notifyAuthenticationNeeded(): void {
  authRequired = true;
  for (const listener of authListeners) listener();
}

export interface CallOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

/** The response of a call that succeeded; a failure throws ApiFailure with the API's code. */
export async function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (typeof options.body === 'string' || options.body instanceof Uint8Array) body = options.body as BodyInit;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(path, { method, headers, body, signal: options.signal, cache: 'no-store', credentials: 'omit' });
  if (response.ok || response.status === 304) return response;
  const failure = await failureOf(response);
  // Once per loss of the token, so a form being filled in is not redrawn by every refused poll.
  if (needsAuthentication(failure) && (token !== undefined || !authRequired)) {
    token = undefined;
    notifyAuthenticationNeeded();
  }
  throw failure;
}

export async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await call(method, path, { body });
  const text = await response.text();
  return (text === '' ? {} : JSON.parse(text)) as T;
}

async function failureOf(response: Response): Promise<ApiFailure> {
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
    return new ApiFailure(response.status, parsed.error?.code ?? 'UNKNOWN', parsed.error?.message ?? text);
  } catch {
    return new ApiFailure(response.status, 'UNKNOWN', text || response.statusText);
  }
}

function needsAuthentication(failure: ApiFailure): boolean {
  if (failure.code === 'AUTH_FAILED') return false; // a wrong password: the login form says so
  return failure.status === 401 || (failure.status === 403 && token === undefined);
}

/** A key as a path below /api/v1/keys/: each segment percent-encoded, the slashes kept. */
export function keyPath(key: string): string {
  return `/api/v1/keys/${key.split('/').map(encodeURIComponent).join('/')}`;
}

export function describeError(error: unknown): string {
  if (error instanceof ApiFailure) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
