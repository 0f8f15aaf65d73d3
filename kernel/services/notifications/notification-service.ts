import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { DeliveryResult, Notification, NotificationLevel } from '../../../sdk/src/kinds/notifier';
import type { ResolvedConfig } from '../../config';
import type { Clock } from '../../core/container/clock';
import { ErrorCodes, errorMessage, isRimuruError, NotificationError } from '../../core/errors';
import { HOST_OWNER, type HookBus } from '../../core/hooks';
import type { DeliveryLog, DeliveryRecord } from './delivery-log';
import { deliveryResultSchema, NOTIFY_HOOK, notificationSchema } from './notification-schema';
import { redact, secretsOf } from './secret-redaction';

/** The part of a plugin sandbox the service calls. */
export interface NotifierSandbox {
  invoke<T = unknown>(method: string, args?: unknown[]): Promise<T>;
}

/** A notifier plugin as the kernel knows it. */
export interface NotifierHandle {
  /** Package name. */
  plugin: string;
  /** Its `contributes.notifiers` names (`slack`, …). */
  names: readonly string[];
  /** Its `plugins.config` section (read for `url` and for the secrets to keep out of logs). */
  config: Readonly<Record<string, unknown>>;
  /** The live sandbox, or undefined when it does not run. */
  sandbox(): NotifierSandbox | undefined;
}

export type RoutesConfig = ResolvedConfig['hooks']['routes'];
export type DeliveryConfig = ResolvedConfig['hooks']['delivery'];

export interface NotificationServiceOptions {
  hookBus: HookBus;
  notifiers: () => readonly NotifierHandle[];
  deliveryLog: DeliveryLog;
  routes: RoutesConfig;
  delivery: DeliveryConfig;
  logger: Logger;
  clock?: Clock;
}

export const NOTIFY_HANDLER_ID = 'notifications:route';

interface Attempt {
  result: DeliveryResult | null;
  error: { code: string; message: string } | null;
  retry: boolean;
}

/**
 * Routes notifications to notifier plugins and keeps the delivery log. Plugins (e.g.
 * hook-cost-alert) hand notifications over by emitting `custom:notify`; the routes of
 * `hooks.routes` pick the notifiers by the notification's source and level. Each delivery runs
 * off the hook's path: a notifier that never answers holds only its own delivery (each attempt
 * is one bounded sandbox call), retried with backoff after a 5xx or no answer, never after a 4xx.
 * Shutdown waits a bounded time for deliveries under way.
 */
export class NotificationService {
  private readonly inflight = new Set<Promise<DeliveryRecord>>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private closing = false;
  private unregister?: () => void;
  private readonly log: Logger;
  private readonly clock: Clock;

  constructor(private readonly options: NotificationServiceOptions) {
    this.log = options.logger.child({ service: 'notifications' });
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  /** Subscribes to `custom:notify`. */
  start(): void {
    if (this.unregister) return;
    this.unregister = this.options.hookBus.register({
      id: NOTIFY_HANDLER_ID,
      owner: HOST_OWNER,
      hook: NOTIFY_HOOK,
      priority: 1_000,
      handle: (payload: unknown) => {
        const checked = notificationSchema.safeParse(payload);
        if (!checked.success) {
          throw new NotificationError(
            ErrorCodes.NOTIFICATION_INVALID,
            `not a notification: ${checked.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')}`,
          );
        }
        void this.notify(checked.data);
        return { type: 'continue' };
      },
    });
  }

  /** The notifiers a notification of this source and level goes to. */
  targets(source: string, level: NotificationLevel): NotifierHandle[] {
    const notifiers = this.options.notifiers();
    const routes = this.options.routes;
    if (routes.length === 0) return notifiers.filter((n) => typeof n.config.url === 'string' && n.config.url !== '');
    const chosen = new Set<NotifierHandle>();
    for (const route of routes) {
      if (!route.events.includes('*') && !route.events.includes(source)) continue;
      if (route.levels && !route.levels.includes(level)) continue;
      for (const notifier of notifiers) {
        if (route.notifiers.includes('*') || route.notifiers.includes(notifier.plugin) || notifier.names.some((name) => route.notifiers.includes(name))) {
          chosen.add(notifier);
        }
      }
    }
    return [...chosen];
  }

  /** Delivers to every routed notifier; resolves to one record each once they are all done. */
  notify(notification: Notification): Promise<DeliveryRecord[]> {
    const targets = this.targets(notification.source ?? 'unknown', notification.level);
    if (targets.length === 0) this.log.debug({ source: notification.source, level: notification.level }, 'no notifier is routed this notification');
    return Promise.all(targets.map((target) => this.track(this.deliver(target, notification, 'send', this.options.delivery.maxAttempts))));
  }

  /** `notify test <name>`: runs the notifier's `testConnection` once and logs it like a delivery. */
  async test(name: string): Promise<DeliveryRecord> {
    const notifiers = this.options.notifiers();
    const target = notifiers.find((n) => n.plugin === name || n.names.includes(name));
    if (!target) {
      throw new NotificationError(
        ErrorCodes.NOTIFIER_NOT_FOUND,
        `No notifier named "${name}". Known notifiers: ${notifiers.map((n) => [...n.names, n.plugin].join(' / ')).join(', ') || 'none'}`,
      );
    }
    const notification: Notification = {
      title: 'Rimuru test notification',
      message: 'testConnection',
      level: 'info',
      source: 'test',
      timestamp: new Date(this.clock.now()).toISOString(),
    };
    return this.track(this.deliver(target, notification, 'testConnection', 1));
  }

  /** Waits for deliveries under way, at most `drainTimeoutMs`; the rest are cut short (and logged as failed). */
  async drain(timeoutMs: number = this.options.delivery.drainTimeoutMs): Promise<void> {
    this.unregister?.();
    this.unregister = undefined;
    if (this.inflight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    const all = Promise.allSettled([...this.inflight]);
    const outcome = await Promise.race([all, deadline]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.closing = true;
      for (const { timer: backoff, wake } of this.timers) {
        clearTimeout(backoff);
        wake();
      }
      this.log.warn({ deliveries: this.inflight.size, timeoutMs }, 'shutting down with notifications still being delivered');
    }
  }

  /** Resolves when every delivery started so far has finished (including ones started meanwhile). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Deliveries under way. */
  get pending(): number {
    return this.inflight.size;
  }

  private track(delivery: Promise<DeliveryRecord>): Promise<DeliveryRecord> {
    this.inflight.add(delivery);
    void delivery.finally(() => this.inflight.delete(delivery));
    return delivery;
  }

  private async deliver(target: NotifierHandle, notification: Notification, method: 'send' | 'testConnection', maxAttempts: number): Promise<DeliveryRecord> {
    const secrets = secretsOf(target.config);
    const startedAtMs = this.clock.now();
    const started = performance.now();
    let attempts = 0;
    let last: Attempt = { result: null, error: null, retry: false };
    while (attempts < maxAttempts) {
      if (attempts > 0) {
        if (!(await this.backoff(attempts))) {
          last = { result: last.result, error: { code: ErrorCodes.NOTIFICATION_FAILED, message: `the kernel shut down before try ${attempts + 1}` }, retry: false };
          break;
        }
      }
      attempts += 1;
      last = await this.attempt(target, notification, method, secrets);
      if (!last.retry) break;
    }
    const delivered = last.result?.ok === true && last.error === null;
    const record: DeliveryRecord = {
      notifier: target.plugin,
      event: notification.source ?? 'unknown',
      level: notification.level,
      title: notification.title,
      status: delivered ? 'delivered' : 'failed',
      httpStatus: last.result?.status ?? null,
      attempts,
      error: delivered ? null : (last.error ?? { code: ErrorCodes.NOTIFICATION_FAILED, message: 'the notifier reported a failure' }),
      startedAt: new Date(startedAtMs).toISOString(),
      durationMs: performance.now() - started,
    };
    const logged = { notifier: record.notifier, event: record.event, status: record.status, httpStatus: record.httpStatus, attempts, error: record.error?.message };
    if (delivered) this.log.debug(logged, 'notification delivered');
    else this.log.warn(logged, 'notification not delivered');
    await this.options.deliveryLog.append(record).catch((error: unknown) => {
      this.log.warn({ err: redact(errorMessage(error), secrets), notifier: record.notifier }, 'could not record a notification delivery');
    });
    return record;
  }

  private async attempt(target: NotifierHandle, notification: Notification, method: 'send' | 'testConnection', secrets: readonly string[]): Promise<Attempt> {
    const sandbox = target.sandbox();
    if (!sandbox) {
      return { result: null, error: { code: ErrorCodes.NOTIFIER_NOT_RUNNING, message: `notifier ${target.plugin} is not running` }, retry: false };
    }
    let raw: unknown;
    try {
      raw = await sandbox.invoke(method, method === 'send' ? [notification] : []);
    } catch (error) {
      // The plugin threw or broke a limit: a fault of the plugin, not of the destination.
      const code = isRimuruError(error) ? error.code : ErrorCodes.NOTIFICATION_FAILED;
      return { result: null, error: { code, message: redact(errorMessage(error), secrets) }, retry: false };
    }
    const checked = deliveryResultSchema.safeParse(raw);
    if (!checked.success) {
      return { result: null, error: { code: ErrorCodes.NOTIFICATION_INVALID, message: `notifier ${target.plugin} answered ${method} with something that is not a delivery result` }, retry: false };
    }
    const result = checked.data;
    if (result.ok) return { result, error: null, retry: false };
    const status = result.status;
    // No status: no answer at all (timeout, refused connection). 429 asks to come back later.
    const retry = result.retryable ?? (status === undefined || status >= 500 || status === 429);
    const message = redact(result.error ?? (status === undefined ? 'no answer' : `HTTP ${status}`), secrets);
    return { result, error: { code: ErrorCodes.NOTIFICATION_FAILED, message }, retry };
  }

  /** Waits before try `attempts + 1`; false when shutdown cut the wait short. */
  private backoff(attempts: number): Promise<boolean> {
    if (this.closing) return Promise.resolve(false);
    const { backoffMs, maxBackoffMs } = this.options.delivery;
    const delay = Math.min(maxBackoffMs, backoffMs * 2 ** (attempts - 1));
    return new Promise((resolve) => {
      const entry = {
        wake: () => {
          this.timers.delete(entry);
          resolve(false);
        },
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve(!this.closing);
        }, delay),
      };
      this.timers.add(entry);
    });
  }
}
