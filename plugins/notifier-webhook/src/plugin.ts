import { defineNotifier, postJson, type DeliveryResult, type Notification, type PluginContext } from '@rimuru/sdk';
import { hmacSha256Hex } from './hmac-sha256';

/**
 * Posts each notification as JSON to `config.url` (the kernel grants that host and no other).
 *
 * Body: `{ "type": "notification" | "test", "timestamp": <unix seconds>, "notification": {…} }`.
 * With `config.secret` set, `X-Rimuru-Signature: sha256=<hex>` is the HMAC-SHA256 of the exact
 * body bytes under the secret; the body carries the timestamp, so a receiver that checks the
 * signature and then that `timestamp` is recent (also sent as `X-Rimuru-Timestamp`) rejects
 * replays. `config.headers` are added to every request. Retries (5xx, no answer) are the
 * kernel's: each try is a fresh, freshly signed request.
 */

const DEFAULT_TIMEOUT_MS = 5_000;
// Stays under the sandbox's wall deadline, which would kill the plugin, not just the request.
const MAX_TIMEOUT_MS = 20_000;
export const SIGNATURE_HEADER = 'x-rimuru-signature';
export const TIMESTAMP_HEADER = 'x-rimuru-timestamp';

interface WebhookConfig {
  url?: string;
  secret?: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

function configOf(ctx: PluginContext): WebhookConfig {
  const raw = ctx.config;
  const headers: Record<string, string> = {};
  if (typeof raw.headers === 'object' && raw.headers !== null && !Array.isArray(raw.headers)) {
    for (const [name, value] of Object.entries(raw.headers)) if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  const timeout = typeof raw.timeoutMs === 'number' && raw.timeoutMs > 0 ? Math.min(raw.timeoutMs, MAX_TIMEOUT_MS) : DEFAULT_TIMEOUT_MS;
  return {
    url: typeof raw.url === 'string' && /^https?:\/\//i.test(raw.url) ? raw.url : undefined,
    secret: typeof raw.secret === 'string' && raw.secret !== '' ? raw.secret : undefined,
    headers,
    timeoutMs: timeout,
  };
}

async function post(ctx: PluginContext, type: 'notification' | 'test', notification: Notification | undefined): Promise<DeliveryResult> {
  const config = configOf(ctx);
  if (!config.url) return { ok: false, error: `no webhook url: set plugins.config["${ctx.pluginName}"].url to an http(s) URL`, retryable: false, attempts: 0 };
  const timestamp = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ type, timestamp, ...(notification === undefined ? {} : { notification }) });
  const headers: Record<string, string> = { 'user-agent': `rimuru-notifier-webhook/${ctx.pluginVersion}`, ...config.headers, [TIMESTAMP_HEADER]: String(timestamp) };
  if (config.secret) headers[SIGNATURE_HEADER] = `sha256=${hmacSha256Hex(config.secret, body)}`;
  return postJson(ctx, config.url, { body, headers, timeoutMs: config.timeoutMs });
}

export default defineNotifier({
  send: (notification, ctx) => post(ctx, 'notification', notification),
  testConnection: (ctx) => post(ctx, 'test', undefined),
  async supportedLevels() {
    return ['info', 'warning', 'critical'];
  },
});
