// The REST API's public surface, for the server command and tests.
export { buildHttpApi, startHttpApi, type HttpApi, type HttpApiOptions } from './http-api.js';
export { DEFAULT_HTTP_LIMITS, resolveHttpLimits, type HttpLimits } from './http-limits.js';
