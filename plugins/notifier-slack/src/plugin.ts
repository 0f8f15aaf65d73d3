import { defineNotifier, missingDestination, postJson, webhookDestination, type Notification, type NotificationLevel } from '@rimuru/sdk';

/**
 * Slack incoming webhook (`config.url`, e.g. https://hooks.slack.com/services/T…/B…/…; the
 * kernel grants that host and no other). A notification becomes a fallback `text` and one
 * attachment coloured by level holding Block Kit blocks: a header (the title), the message, up
 * to ten fields, and a context line. A critical one starts with `config.mention` (default
 * `<!channel>`; e.g. `<@U0123>` or `<!subteam^S0123>`; `""` for none).
 */

const COLORS: Record<NotificationLevel, string> = { info: '#2eb886', warning: '#daa038', critical: '#a30200' };
const EMOJI: Record<NotificationLevel, string> = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' };
/** Slack's limits: 150 characters in a header, 3000 in a section, 10 fields. */
const HEADER_MAX = 150;
const SECTION_MAX = 3_000;
const FIELDS_MAX = 10;

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Slack's mrkdwn escapes: &, < and > (so a message cannot ping @channel on its own). */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackPayload(notification: Notification, config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const mention = typeof config.mention === 'string' ? config.mention : '<!channel>';
  const prefix = notification.level === 'critical' && mention !== '' ? `${mention} ` : '';
  const text = `${prefix}${EMOJI[notification.level]} ${escape(notification.title)}`;
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: cut(notification.title, HEADER_MAX), emoji: true } },
  ];
  if (notification.message !== '') blocks.push({ type: 'section', text: { type: 'mrkdwn', text: cut(escape(notification.message), SECTION_MAX) } });
  const fields = Object.entries(notification.fields ?? {}).slice(0, FIELDS_MAX);
  if (fields.length > 0) {
    blocks.push({ type: 'section', fields: fields.map(([name, value]) => ({ type: 'mrkdwn', text: cut(`*${escape(name)}*\n${escape(String(value))}`, 2_000) })) });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `${notification.level}${notification.source ? ` · ${escape(notification.source)}` : ''} · ${notification.timestamp}` }],
  });
  return {
    text,
    ...(typeof config.username === 'string' ? { username: config.username } : {}),
    attachments: [{ color: COLORS[notification.level], fallback: text, blocks }],
  };
}

export default defineNotifier({
  async send(notification, ctx) {
    const { url, timeoutMs } = webhookDestination(ctx);
    if (!url) return missingDestination(ctx, 'Slack webhook');
    return postJson(ctx, url, { body: JSON.stringify(slackPayload(notification, ctx.config)), timeoutMs });
  },
  async testConnection(ctx) {
    const { url, timeoutMs } = webhookDestination(ctx);
    if (!url) return missingDestination(ctx, 'Slack webhook');
    // Incoming webhooks have no read-only endpoint: the test is a short message.
    return postJson(ctx, url, { body: JSON.stringify({ text: ':white_check_mark: Rimuru can post here.' }), timeoutMs });
  },
  async supportedLevels() {
    return ['info', 'warning', 'critical'];
  },
});
