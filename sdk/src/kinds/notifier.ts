/** Notifiers: deliver alerts and reports to Slack, Discord, a webhook, … */
import type { PluginContext } from '../capabilities';
import { definePlugin, type DefinedPlugin, type PluginLifecycle } from '../define-plugin';
import { lifecycleOf, pickMethods } from './kind-helpers';

export type NotificationLevel = 'info' | 'warning' | 'critical';

export interface Notification {
  title: string;
  message: string;
  level: NotificationLevel;
  /** The hook or source that caused it, e.g. `CostThreshold`. */
  source?: string;
  fields?: Record<string, string | number | boolean>;
  timestamp: string;
}

export interface DeliveryResult {
  ok: boolean;
  /** HTTP status of the destination's answer; absent when none came (timeout, refused connection). */
  status?: number;
  /** Why it failed. Never include the destination URL or a secret: it is logged. */
  error?: string;
  attempts?: number;
  /**
   * Whether trying again could help. Default: the kernel retries when no answer came, on 5xx and
   * on 429, and never on another 4xx; say `false` for a bad config or a refused permission.
   */
  retryable?: boolean;
}

export interface PostJsonOptions {
  method?: 'POST' | 'PUT' | 'GET';
  headers?: Record<string, string>;
  /** Per-request timeout in ms. */
  timeoutMs?: number;
  /** The body, already serialised (so a signature can be computed over the exact bytes sent). Absent for GET. */
  body?: string;
}

/**
 * One request to a notifier's destination, as a {@link DeliveryResult}: ok on 2xx; the status
 * otherwise; no status when nothing answered. A refused permission is not retryable. The error
 * text names the status or the capability's message, never the URL.
 */
export async function postJson(ctx: PluginContext, url: string, options: PostJsonOptions = {}): Promise<DeliveryResult> {
  try {
    const response = await ctx.http.fetch(url, {
      method: options.method ?? 'POST',
      headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      ...(options.body === undefined ? {} : { body: options.body }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      maxBytes: 64 * 1024,
    });
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status, attempts: 1 };
    return { ok: false, status: response.status, error: `HTTP ${response.status}${response.body ? `: ${response.body.slice(0, 200)}` : ''}`, attempts: 1 };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    // E2004 refused permission, E2010 bad request: the same call fails the same way again.
    return { ok: false, error: message, attempts: 1, ...(code === 'E2004' || code === 'E2010' ? { retryable: false } : {}) };
  }
}

/** Where a webhook notifier posts, read from its config: `url` (http or https only) and `timeoutMs`. */
export interface WebhookDestination {
  /** Undefined when `config.url` is missing or not an http(s) URL. */
  url?: string;
  /** Per-request timeout: `config.timeoutMs`, default 5000, at most 20000 (under the sandbox's wall deadline, which would kill the plugin rather than the request). */
  timeoutMs: number;
}

const DEFAULT_WEBHOOK_TIMEOUT_MS = 5_000;
const MAX_WEBHOOK_TIMEOUT_MS = 20_000;

export function webhookDestination(ctx: PluginContext): WebhookDestination {
  const { url, timeoutMs } = ctx.config;
  return {
    url: typeof url === 'string' && /^https?:\/\//i.test(url) ? url : undefined,
    timeoutMs: typeof timeoutMs === 'number' && timeoutMs > 0 ? Math.min(timeoutMs, MAX_WEBHOOK_TIMEOUT_MS) : DEFAULT_WEBHOOK_TIMEOUT_MS,
  };
}

/** The answer of a notifier whose `url` is not set: not retried, and says which key to set. */
export function missingDestination(ctx: PluginContext, what: string): DeliveryResult {
  return { ok: false, error: `no ${what} url: set plugins.config["${ctx.pluginName}"].url to an http(s) URL`, retryable: false, attempts: 0 };
}

export interface NotifierDefinition extends PluginLifecycle {
  send(notification: Notification, ctx: PluginContext): Promise<DeliveryResult>;
  sendBatch?(notifications: Notification[], ctx: PluginContext): Promise<DeliveryResult[]>;
  /** Checks the configured destination is reachable and accepts us. */
  testConnection(ctx: PluginContext): Promise<DeliveryResult>;
  supportedLevels?(ctx: PluginContext): Promise<NotificationLevel[]>;
}

/** Declares a notifier plugin (manifest `rimuru.kind: "notifier"`). */
export function defineNotifier(definition: NotifierDefinition): DefinedPlugin {
  return definePlugin({
    kind: 'notifier',
    ...lifecycleOf(definition),
    methods: pickMethods(definition, ['send', 'sendBatch', 'testConnection', 'supportedLevels']),
  });
}
