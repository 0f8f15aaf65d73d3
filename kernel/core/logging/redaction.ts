/** Shown in place of a redacted value. */
export const REDACTED = '[REDACTED]';

// Keys whose values are credentials however they are spelled by the agents, providers and
// plugins that log them.
const SECRET_KEYS = [
  'apiKey',
  'api_key',
  'token',
  'accessToken',
  'refreshToken',
  'authorization',
  'Authorization',
  'password',
  'secret',
  'clientSecret',
];

const SECRET_HEADERS = ['authorization', 'Authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'x-goog-api-key'];

/**
 * pino/fast-redact paths for secret-looking values. fast-redact has no recursive wildcard,
 * so each key is covered at the top level and one object deep (`{ apiKey }`,
 * `{ provider: { apiKey } }`, `{ req: { headers: { authorization } } }`); anything deeper
 * must not be logged whole.
 */
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`]),
  ...SECRET_HEADERS.flatMap((header) => [`headers["${header}"]`, `*.headers["${header}"]`]),
];
