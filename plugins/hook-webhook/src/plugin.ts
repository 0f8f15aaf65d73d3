import { Continue, defineHookPlugin, postJson, Skip, type HookName, type HookResult, type PluginContext } from '@rimuru/sdk';

/**
 * Posts `{ "event": <hook>, "payload": {…}, "sentAt": <ISO> }` to `config.url` (the kernel grants
 * that host and no other) for the hooks listed in `config.events` (default `["CostThreshold"]`;
 * any of SessionStart, SessionEnd, CostThreshold, MetricsExport, SyncComplete, Error), with
 * `config.headers`. One try per event: a failure is recorded as the hook execution's error
 * (`hooks log`). For retries, signatures and routing by level use a notifier instead.
 */

const DEFAULT_EVENTS = ['CostThreshold'];
const DEFAULT_TIMEOUT_MS = 5_000;
const MAX_TIMEOUT_MS = 8_000;

function selected(ctx: PluginContext, event: string): boolean {
  const events = Array.isArray(ctx.config.events) ? ctx.config.events : DEFAULT_EVENTS;
  return events.includes(event) || events.includes('*');
}

async function forward(event: HookName, payload: unknown, ctx: PluginContext): Promise<HookResult> {
  const url = typeof ctx.config.url === 'string' && /^https?:\/\//i.test(ctx.config.url) ? ctx.config.url : undefined;
  if (url === undefined || !selected(ctx, event)) return Skip();
  const headers: Record<string, string> = {};
  if (typeof ctx.config.headers === 'object' && ctx.config.headers !== null) {
    for (const [name, value] of Object.entries(ctx.config.headers)) if (typeof value === 'string') headers[name] = value;
  }
  const timeoutMs = typeof ctx.config.timeoutMs === 'number' && ctx.config.timeoutMs > 0 ? Math.min(ctx.config.timeoutMs, MAX_TIMEOUT_MS) : DEFAULT_TIMEOUT_MS;
  const result = await postJson(ctx, url, { body: JSON.stringify({ event, payload, sentAt: new Date().toISOString() }), headers, timeoutMs });
  // The status only: an answer's body may echo the URL (and its token) back, and errors are logged.
  if (!result.ok) throw new Error(`posting ${event} failed: ${result.status === undefined ? (result.error ?? 'no answer') : `HTTP ${result.status}`}`);
  return Continue();
}

export default defineHookPlugin({
  hooks: {
    SessionStart: (payload, ctx) => forward('SessionStart', payload, ctx),
    SessionEnd: (payload, ctx) => forward('SessionEnd', payload, ctx),
    CostThreshold: (payload, ctx) => forward('CostThreshold', payload, ctx),
    MetricsExport: (payload, ctx) => forward('MetricsExport', payload, ctx),
    SyncComplete: (payload, ctx) => forward('SyncComplete', payload, ctx),
    Error: (payload, ctx) => forward('Error', payload, ctx),
  },
});
