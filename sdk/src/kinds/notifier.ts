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
  status?: number;
  error?: string;
  attempts?: number;
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
