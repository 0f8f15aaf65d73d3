import { defineNotifier, missingDestination, postJson, webhookDestination, type DeliveryResult, type Notification, type PluginContext } from '@rimuru/sdk';
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

export const SIGNATURE_HEADER = 'x-rimuru-signature';
export const TIMESTAMP_HEADER = 'x-rimuru-timestamp';

/** `config.headers` (string values only), names lower-cased so ours cannot be doubled by case. */
function headersOf(ctx: PluginContext): Record<string, string> {
  const headers: Record<string, string> = {};
  const raw = ctx.config.headers;
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    for (const [name, value] of Object.entries(raw)) if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  return headers;
}

async function post(ctx: PluginContext, type: 'notification' | 'test', notification: Notification | undefined): Promise<DeliveryResult> {
  const { url, timeoutMs } = webhookDestination(ctx);
  if (!url) return missingDestination(ctx, 'webhook');
  const secret = typeof ctx.config.secret === 'string' && ctx.config.secret !== '' ? ctx.config.secret : undefined;
  const timestamp = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ type, timestamp, ...(notification === undefined ? {} : { notification }) });
  const headers: Record<string, string> = { 'user-agent': `rimuru-notifier-webhook/${ctx.pluginVersion}`, ...headersOf(ctx), [TIMESTAMP_HEADER]: String(timestamp) };
  if (secret) headers[SIGNATURE_HEADER] = `sha256=${hmacSha256Hex(secret, body)}`;
  return postJson(ctx, url, { body, headers, timeoutMs });
}

export default defineNotifier({
  send: (notification, ctx) => post(ctx, 'notification', notification),
  testConnection: (ctx) => post(ctx, 'test', undefined),
  async supportedLevels() {
    return ['info', 'warning', 'critical'];
  },
});
