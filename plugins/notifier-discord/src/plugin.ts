import { defineNotifier, missingDestination, postJson, webhookDestination, type Notification, type NotificationLevel, type PluginContext } from '@rimuru/sdk';

/**
 * Discord webhook (`config.url`, https://discord.com/api/webhooks/<id>/<token>; the kernel grants
 * that host and no other). A notification becomes one embed coloured by level (title,
 * description, up to 25 inline fields, timestamp). A critical one mentions `config.roleId`
 * (only that role may be pinged: `allowed_mentions` lists nothing else). `config.threadId` posts
 * into a thread of a forum or text channel; `config.username` overrides the webhook's name.
 */

const COLORS: Record<NotificationLevel, number> = { info: 0x2eb886, warning: 0xdaa038, critical: 0xa30200 };
/** Discord's limits: title 256, description 4096, 25 fields of 256/1024. */
const FIELDS_MAX = 25;

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function stringSetting(ctx: PluginContext, key: string): string | undefined {
  const value = ctx.config[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function discordPayload(notification: Notification, config: { roleId?: string; username?: string }): Record<string, unknown> {
  const mention = notification.level === 'critical' && config.roleId !== undefined;
  return {
    ...(mention ? { content: `<@&${config.roleId}>` } : {}),
    ...(config.username === undefined ? {} : { username: config.username }),
    embeds: [
      {
        title: cut(notification.title, 256),
        ...(notification.message === '' ? {} : { description: cut(notification.message, 4_096) }),
        color: COLORS[notification.level],
        fields: Object.entries(notification.fields ?? {})
          .slice(0, FIELDS_MAX)
          .map(([name, value]) => ({ name: cut(name, 256), value: cut(String(value), 1_024), inline: true })),
        timestamp: notification.timestamp,
        footer: { text: `Rimuru · ${notification.level}${notification.source ? ` · ${notification.source}` : ''}` },
      },
    ],
    // Never let a message's text ping @everyone or arbitrary users; only the configured role.
    allowed_mentions: { parse: [], roles: mention ? [config.roleId] : [] },
  };
}

/** The webhook URL with `wait=true` (Discord answers with the message, so errors show) and the thread. */
export function executeUrl(url: string, threadId: string | undefined): string {
  const query = `wait=true${threadId === undefined ? '' : `&thread_id=${encodeURIComponent(threadId)}`}`;
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}

export default defineNotifier({
  async send(notification, ctx) {
    const { url, timeoutMs } = webhookDestination(ctx);
    if (!url) return missingDestination(ctx, 'Discord webhook');
    const body = discordPayload(notification, { roleId: stringSetting(ctx, 'roleId'), username: stringSetting(ctx, 'username') });
    return postJson(ctx, executeUrl(url, stringSetting(ctx, 'threadId')), { body: JSON.stringify(body), timeoutMs });
  },
  async testConnection(ctx) {
    const { url, timeoutMs } = webhookDestination(ctx);
    if (!url) return missingDestination(ctx, 'Discord webhook');
    // GET on a webhook URL answers its details without posting anything.
    return postJson(ctx, url, { method: 'GET', timeoutMs });
  },
  async supportedLevels() {
    return ['info', 'warning', 'critical'];
  },
});
