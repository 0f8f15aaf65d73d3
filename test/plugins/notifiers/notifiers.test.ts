import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runPlugin } from '@rimuru/sdk/testing';
import { parseManifest } from '../../../kernel/core/registry';
import { DeliveryLog, withConfiguredGrants } from '../../../kernel/services/notifications';
import type { Notification } from '../../../sdk/src/kinds/notifier';
import { startReceiver, type Receiver } from './http-receiver';
import { useNotifierWorld } from './notifier-harness';

const AT = '2026-03-04T12:00:00.000Z';
const warning: Notification = {
  title: 'Daily budget at 80% (2026-03-04)',
  message: '$8.50 of $10.00 spent (85%) in 2026-03-04.',
  level: 'warning',
  source: 'CostThreshold',
  fields: { budget: 'daily', spentUsd: 8.5, limitUsd: 10 },
  timestamp: AT,
};
const critical: Notification = { ...warning, title: 'Daily budget reached 100% (2026-03-04)', level: 'critical' };

describe('notifier plugins against real receivers on 127.0.0.1', () => {
  const world = useNotifierWorld();
  let receiver: Receiver;
  let other: Receiver;
  beforeEach(async () => {
    receiver = await startReceiver();
    other = await startReceiver();
  });
  afterEach(async () => {
    await receiver.close();
    await other.close();
  });

  describe('notifier-webhook', () => {
    const SECRET = 'whsec-test-Secret-42';

    it('posts the notification as JSON with custom headers and an HMAC-SHA256 of the raw body', async () => {
      const { handle } = await world.start('notifier-webhook', { url: `${receiver.origin}/in/hook?x=1`, secret: SECRET, headers: { 'X-Team': 'infra' } });
      const before = Math.floor(Date.now() / 1000);
      const [record] = await world.service([handle]).notify(warning);
      expect(record).toEqual(expect.objectContaining({ notifier: '@rimuru/notifier-webhook', status: 'delivered', httpStatus: 200, attempts: 1, error: null, event: 'CostThreshold' }));
      expect(receiver.requests).toHaveLength(1);
      const request = receiver.requests[0]!;
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/in/hook?x=1');
      const body = JSON.parse(request.body) as { type: string; timestamp: number; notification: unknown };
      expect(body).toEqual({ type: 'notification', timestamp: expect.any(Number), notification: warning });
      expect(Object.keys(body)).toEqual(['type', 'timestamp', 'notification']);
      expect(body.timestamp).toBeGreaterThanOrEqual(before);
      expect(body.timestamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['x-team']).toBe('infra');
      expect(request.headers['x-rimuru-timestamp']).toBe(String(body.timestamp));
      const expected = createHmac('sha256', SECRET).update(request.body, 'utf8').digest('hex');
      expect(request.headers['x-rimuru-signature']).toBe(`sha256=${expected}`);
      // A body changed in transit (here: a replayed timestamp) no longer matches.
      const replayed = request.body.replace(`"timestamp":${body.timestamp}`, `"timestamp":${body.timestamp + 600}`);
      expect(createHmac('sha256', SECRET).update(replayed).digest('hex')).not.toBe(expected);
    });

    it('signs non-ASCII bodies exactly like Node crypto (UTF-8)', async () => {
      const { handle } = await world.start('notifier-webhook', { url: receiver.origin, secret: 'ключ-🔑' });
      await world.service([handle]).notify({ ...warning, title: 'Budget épuisé — 予算 😱', message: 'x'.repeat(3000) });
      const request = receiver.requests[0]!;
      expect(request.headers['x-rimuru-signature']).toBe(`sha256=${createHmac('sha256', 'ключ-🔑').update(request.body, 'utf8').digest('hex')}`);
    });

    it('retries on 500 with backoff, each try freshly signed, and delivers on the third', async () => {
      receiver.script([500, 503]);
      const { handle } = await world.start('notifier-webhook', { url: receiver.origin, secret: SECRET });
      const [record] = await world.service([handle], { maxAttempts: 3 }).notify(warning);
      expect(record).toEqual(expect.objectContaining({ status: 'delivered', httpStatus: 200, attempts: 3, error: null }));
      expect(receiver.requests).toHaveLength(3);
      for (const request of receiver.requests) {
        expect(request.headers['x-rimuru-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(request.body).digest('hex')}`);
      }
    });

    it('gives up after maxAttempts of 500s and logs the last status', async () => {
      receiver.script([], 500);
      const { handle } = await world.start('notifier-webhook', { url: receiver.origin });
      const [record] = await world.service([handle], { maxAttempts: 3 }).notify(warning);
      expect(record).toEqual(expect.objectContaining({ status: 'failed', httpStatus: 500, attempts: 3, error: { code: 'E5103', message: 'HTTP 500: error 500' } }));
      expect(receiver.requests).toHaveLength(3);
    });

    it('does not retry a 400', async () => {
      receiver.script([400]);
      const { handle } = await world.start('notifier-webhook', { url: receiver.origin });
      const [record] = await world.service([handle], { maxAttempts: 3 }).notify(warning);
      expect(record).toEqual(expect.objectContaining({ status: 'failed', httpStatus: 400, attempts: 1 }));
      expect(receiver.requests).toHaveLength(1);
    });

    it('times out on a receiver that never answers, retries, records the timeout — while other deliveries and hooks go on', async () => {
      receiver.script([], 'hang');
      const hanging = await world.start('notifier-webhook', { url: receiver.origin, timeoutMs: 1500 });
      const slack = await world.start('notifier-slack', { url: `${other.origin}/services/T/B/x` });
      const routes = [
        { events: ['stuck'], notifiers: ['webhook'] },
        { events: ['other'], notifiers: ['slack'] },
      ];
      const service = world.service([hanging.handle, slack.handle], { maxAttempts: 2, routes });
      let webhookDone = false;
      const stuck = service.notify({ ...warning, source: 'stuck' }).then((records) => {
        webhookDone = true;
        return records;
      });
      // While the webhook waits on a silent receiver, another notifier delivers and the hook bus answers.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await service.notify({ ...warning, source: 'other' })).toEqual([expect.objectContaining({ notifier: '@rimuru/notifier-slack', status: 'delivered' })]);
      const emitted = await world.bus.emitParallel('KernelReady', { plugins: 1, running: 1 });
      expect(emitted.executions).toEqual([]);
      expect(webhookDone).toBe(false);
      const records = await stuck;
      const webhook = records.find((r) => r.notifier === '@rimuru/notifier-webhook');
      expect(webhook).toEqual(
        expect.objectContaining({ status: 'failed', attempts: 2, httpStatus: null, error: { code: 'E5103', message: expect.stringMatching(/no complete response from 127\.0\.0\.1:\d+ within 1500 ms/) } }),
      );
      expect(receiver.requests).toHaveLength(2);
      const logged = await new DeliveryLog(world.db.knex).recent(10);
      expect(logged.filter((r) => r.notifier === '@rimuru/notifier-webhook' && r.event === 'stuck')).toEqual([expect.objectContaining({ status: 'failed', attempts: 2 })]);
    });

    it('testConnection posts a signed test body', async () => {
      const { handle } = await world.start('notifier-webhook', { url: receiver.origin, secret: SECRET });
      const record = await world.service([handle]).test('webhook');
      expect(record).toEqual(expect.objectContaining({ status: 'delivered', event: 'test', attempts: 1 }));
      const request = receiver.requests[0]!;
      expect(JSON.parse(request.body)).toEqual({ type: 'test', timestamp: expect.any(Number) });
      expect(request.headers['x-rimuru-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(request.body).digest('hex')}`);
    });

    it('without a url: a failed delivery that says which key to set, no request, no retry', async () => {
      const { handle } = await world.start('notifier-webhook', {});
      const [record] = await world.service([handle], { routes: [{ events: ['*'], notifiers: ['webhook'] }] }).notify(warning);
      expect(record).toEqual(expect.objectContaining({ status: 'failed', attempts: 1, error: { code: 'E5103', message: expect.stringContaining('plugins.config["@rimuru/notifier-webhook"].url') } }));
    });
  });

  describe('notifier-slack', () => {
    it('posts blocks in a coloured attachment; no mention below critical', async () => {
      const { handle } = await world.start('notifier-slack', { url: `${receiver.origin}/services/T000/B000/XXXX` });
      const [record] = await world.service([handle]).notify(warning);
      expect(record?.status).toBe('delivered');
      const request = receiver.requests[0]!;
      expect(request.path).toBe('/services/T000/B000/XXXX');
      expect(JSON.parse(request.body)).toEqual({
        text: ':warning: Daily budget at 80% (2026-03-04)',
        attachments: [
          {
            color: '#daa038',
            fallback: ':warning: Daily budget at 80% (2026-03-04)',
            blocks: [
              { type: 'header', text: { type: 'plain_text', text: 'Daily budget at 80% (2026-03-04)', emoji: true } },
              { type: 'section', text: { type: 'mrkdwn', text: '$8.50 of $10.00 spent (85%) in 2026-03-04.' } },
              {
                type: 'section',
                fields: [
                  { type: 'mrkdwn', text: '*budget*\ndaily' },
                  { type: 'mrkdwn', text: '*spentUsd*\n8.5' },
                  { type: 'mrkdwn', text: '*limitUsd*\n10' },
                ],
              },
              { type: 'context', elements: [{ type: 'mrkdwn', text: `warning · CostThreshold · ${AT}` }] },
            ],
          },
        ],
      });
    });

    it('mentions the configured target on critical, and escapes <, > and & from the message', async () => {
      const { handle } = await world.start('notifier-slack', { url: receiver.origin, mention: '<!subteam^S123>', username: 'Rimuru' });
      await world.service([handle]).notify({ ...critical, title: 'Spend <!channel> & more', fields: {} });
      const body = JSON.parse(receiver.requests[0]!.body) as { text: string; username: string; attachments: Array<{ color: string }> };
      expect(body.text).toBe('<!subteam^S123> :rotating_light: Spend &lt;!channel&gt; &amp; more');
      expect(body.username).toBe('Rimuru');
      expect(body.attachments[0]!.color).toBe('#a30200');
    });

    it('mentions <!channel> on critical by default; testConnection posts a short message', async () => {
      const { handle } = await world.start('notifier-slack', { url: receiver.origin });
      const service = world.service([handle]);
      await service.notify(critical);
      expect((JSON.parse(receiver.requests[0]!.body) as { text: string }).text).toMatch(/^<!channel> :rotating_light: /);
      expect(await service.test('slack')).toEqual(expect.objectContaining({ status: 'delivered' }));
      expect(JSON.parse(receiver.requests[1]!.body)).toEqual({ text: ':white_check_mark: Rimuru can post here.' });
    });
  });

  describe('notifier-discord', () => {
    it('posts an embed, mentions only the role on critical, into the thread', async () => {
      const { handle } = await world.start('notifier-discord', { url: `${receiver.origin}/api/webhooks/123/tok`, roleId: '987', threadId: '555', username: 'Rimuru' });
      const [record] = await world.service([handle]).notify(critical);
      expect(record?.status).toBe('delivered');
      const request = receiver.requests[0]!;
      expect(request.path).toBe('/api/webhooks/123/tok?wait=true&thread_id=555');
      expect(JSON.parse(request.body)).toEqual({
        content: '<@&987>',
        username: 'Rimuru',
        embeds: [
          {
            title: 'Daily budget reached 100% (2026-03-04)',
            description: '$8.50 of $10.00 spent (85%) in 2026-03-04.',
            color: 0xa30200,
            fields: [
              { name: 'budget', value: 'daily', inline: true },
              { name: 'spentUsd', value: '8.5', inline: true },
              { name: 'limitUsd', value: '10', inline: true },
            ],
            timestamp: AT,
            footer: { text: 'Rimuru · critical · CostThreshold' },
          },
        ],
        allowed_mentions: { parse: [], roles: ['987'] },
      });
    });

    it('no mention below critical; testConnection is a GET of the webhook', async () => {
      const { handle } = await world.start('notifier-discord', { url: `${receiver.origin}/api/webhooks/1/t`, roleId: '987' });
      const service = world.service([handle]);
      await service.notify(warning);
      const body = JSON.parse(receiver.requests[0]!.body) as Record<string, unknown>;
      expect(body.content).toBeUndefined();
      expect(body.allowed_mentions).toEqual({ parse: [], roles: [] });
      expect(await service.test('discord')).toEqual(expect.objectContaining({ status: 'delivered' }));
      expect(receiver.requests[1]).toEqual(expect.objectContaining({ method: 'GET', path: '/api/webhooks/1/t', body: '' }));
    });
  });

  describe('secrets', () => {
    it('keep webhook URLs, tokens and HMAC secrets out of the delivery log, the logs and the errors', async () => {
      const token = 'T0K3N-abcdefghijklmnop';
      const secret = 'hmac-secret-zyxwvu';
      // The receiver echoes the path (with the token) back in its error body.
      receiver.script([], { status: 500, body: `bad hook /hooks/${token}` });
      const { handle } = await world.start('notifier-webhook', { url: `${receiver.origin}/hooks/${token}`, secret, headers: { Authorization: 'Bearer header-secret-1234' } });
      const [record] = await world.service([handle], { maxAttempts: 2 }).notify(warning);
      expect(record?.error?.message).toBe('HTTP 500: bad hook [redacted]');
      const stored = JSON.stringify(await new DeliveryLog(world.db.knex).recent(10));
      const logs = world.logText();
      expect(logs).toContain('notification not delivered');
      for (const text of [stored, logs, JSON.stringify(record)]) {
        expect(text).not.toContain(token);
        expect(text).not.toContain(secret);
        expect(text).not.toContain('header-secret-1234');
      }
    });

    it('a notifier reaches only its own webhook host: the grant is that host, nothing else', async () => {
      const { run } = await world.start('notifier-webhook', { url: `${receiver.origin}/x` });
      expect(run.manifest.rimuru.permissions).toEqual({});
      const file = path.join(__dirname, '../../../plugins/notifier-webhook/package.json');
      const manifest = parseManifest(JSON.parse(readFileSync(file, 'utf8')), file);
      const granted = withConfiguredGrants(manifest, { config: { url: `${receiver.origin}/x` }, permissions: {} }).permissions;
      expect(granted).toEqual({ net: [receiver.origin.replace('http://', '')] });
      // Run with the grant for one receiver but pointed at the other: refused, not retried, nothing sent.
      const misdirected = await runPlugin({ pluginDir: path.dirname(file), config: { url: `${other.origin}/x` }, permissions: granted });
      try {
        expect(await misdirected.plugin.invoke('send', warning)).toEqual({ ok: false, attempts: 1, retryable: false, error: expect.stringMatching(/refused net of "127\.0\.0\.1:\d+"/) });
      } finally {
        await misdirected.dispose();
      }
      expect(other.requests).toHaveLength(0);
    });
  });
});
